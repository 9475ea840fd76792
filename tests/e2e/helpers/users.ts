// Finding things on the Users page by role and accessible name.
import { expect, Locator, Page } from '@playwright/test';

export const ACME_USERS = '/domains/acme.example/users';

export function rowCheckbox(page: Page, extension: string): Locator {
  return page.getByRole('checkbox', { name: `Select ${extension}`, exact: true });
}

export function row(page: Page, extension: string): Locator {
  return page.getByRole('row').filter({ has: rowCheckbox(page, extension) });
}

export function deleteButton(page: Page, extension: string): Locator {
  return page.getByRole('button', { name: `Delete user ${extension}`, exact: true });
}

/** The extensions in the table, in order (read from the row checkboxes' names). */
export async function listedExtensions(page: Page): Promise<string[]> {
  const names = await page
    .getByRole('checkbox', { name: /^Select \d+$/ })
    .evaluateAll((boxes) => boxes.map((box) => box.getAttribute('aria-label') ?? ''));
  return names.map((name) => name.replace('Select ', ''));
}

export async function expectListed(page: Page, extensions: string[]) {
  await expect.poll(() => listedExtensions(page)).toEqual(extensions);
}

export function range(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}
