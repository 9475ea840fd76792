// Signing in and out as a person would: by the labels and button names of SPEC 5.
import { expect, Page } from '@playwright/test';

export const DEMO_PASSWORD = 'demo-password';

export async function signIn(page: Page, login: string, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Waits until the page has loaded whole, its scripts included: the address changes as
 * soon as the redirect is followed, before htmx has bound the page's triggers, and a
 * select changed before then changes nothing (seen once in CI on a loaded machine).
 */
async function untilLoaded(page: Page) {
  await page.waitForLoadState('load');
}

/** Signs in as an office manager of acme.example and waits for the Users page. */
export async function signInToAcme(page: Page) {
  await signIn(page, '100@acme.example');
  await expect(page).toHaveURL(/\/domains\/acme\.example\/users$/);
  await untilLoaded(page);
}

/**
 * Signs in as the office manager of globex.example. Specs that change data work in
 * globex, so that acme.example stays exactly the demo data for the specs that read it.
 */
export async function signInToGlobex(page: Page) {
  await signIn(page, '100@globex.example');
  await expect(page).toHaveURL(/\/domains\/globex\.example\/users$/);
  await untilLoaded(page);
}
