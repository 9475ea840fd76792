// Keyboard-only helpers: Tab until a control has focus, and a check for that focus.
import type { Locator, Page } from '@playwright/test';

export async function tabUntil(page: Page, focused: () => Promise<boolean>) {
  for (let i = 0; i < 80; i++) {
    if (await focused()) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('the control never received focus by Tab');
}

export const isFocused = (locator: Locator) => () =>
  locator.evaluate((el) => el === document.activeElement);
