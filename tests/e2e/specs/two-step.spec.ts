// Two-step sign-in (SPEC 5, "Two-step sign-in" and "Domain settings"), by keyboard
// alone with axe on each step: the office manager of initech.example (which no other
// spec signs in as) turns on Require two-step sign-in, is taken to Security, sets up an
// authenticator app from its QR code's secret, keeps the recovery codes (the download
// holds the same ten), signs out, and signs in again through the second step with the
// app's code, then with a recovery code. Codes are computed here (RFC 6238). At the end
// the rule and the app are turned off again, leaving the demo data as it was.
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { expect, Locator, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { DEMO_PASSWORD } from '../helpers/auth';
import { isFocused, tabUntil } from '../helpers/keyboard';

const LOGIN = '100@initech.example';
const USERS = /\/domains\/initech\.example\/users$/;
const SECURITY = /\/account\/security$/;

/** RFC 4648 base32, as the page shows the secret. */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of text) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The app's 6-digit code for the 30-second step `offset` steps from now. */
function totp(secret: string, offset = 0): string {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return number.toString().padStart(6, '0');
}

/** Moves focus by Tab to `control` and presses `key` on it. */
async function press(page: Page, control: Locator, key = 'Enter') {
  await tabUntil(page, isFocused(control));
  await page.keyboard.press(key);
}

async function signInByKeyboard(page: Page) {
  await page.goto('/login');
  await expect(page.getByLabel('Login')).toBeFocused();
  await page.keyboard.type(LOGIN);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
}

test('an office manager requires two-step sign-in, sets up an app and signs in with its code', async ({ page }) => {
  await signInByKeyboard(page);
  await expect(page).toHaveURL(USERS);
  await page.waitForLoadState('load');
  await press(page, page.getByRole('link', { name: 'Domain settings' }));
  await expect(page.getByRole('heading', { name: /Domain settings/ })).toBeVisible();
  await expectAccessible(page, 'Domain settings');
  await press(page, page.getByLabel('Require two-step sign-in'), 'Space');
  await expect(page.getByLabel('Require two-step sign-in')).toBeChecked();
  await press(page, page.getByRole('button', { name: 'Save' }));

  // Without a second factor, the manager is held on Security.
  await expect(page).toHaveURL(SECURITY);
  await expect(page.getByText('Your domain requires two-step sign-in')).toBeVisible();
  await expectAccessible(page, 'the Security page, held');
  await page.goto('/domains/initech.example/users');
  await expect(page).toHaveURL(SECURITY);

  await press(page, page.getByRole('button', { name: 'Set up authenticator app' }));
  await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
  await expectAccessible(page, 'setting up an authenticator app');
  const secret = (await page.locator('#app-secret').innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const code = page.getByLabel('Code');
  await expect(code).toBeFocused();
  await page.keyboard.type('000000');
  await page.keyboard.press('Enter');
  await expect(page.getByText('That code is not right')).toBeVisible();
  await page.getByLabel('Code').focus();
  await page.keyboard.type(totp(secret));
  await page.keyboard.press('Enter');

  await expect(page.getByRole('status')).toHaveText('Two-step sign-in is on: your authenticator app.');
  const codes = (await page.locator('#recovery-codes code').allInnerTexts()).map((text) => text.trim());
  expect(codes).toHaveLength(10);
  for (const recovery of codes) expect(recovery).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
  await expectAccessible(page, 'the recovery codes');
  await page.screenshot({ path: 'tests/e2e/screenshots/security.png', fullPage: true });
  const downloading = page.waitForEvent('download');
  await press(page, page.getByRole('link', { name: 'Download recovery codes' }));
  const download = await downloading;
  const file = fs.readFileSync(await download.path(), 'utf8');
  expect(file.trimEnd().split('\n')).toEqual(codes);

  // The rule no longer holds the manager back.
  await page.goto('/domains/initech.example/users');
  await expect(page).toHaveURL(USERS);
  await press(page, page.getByRole('button', { name: 'Sign out' }));
  await expect(page).toHaveURL(/\/login$/);

  // The password leads to the second step; the app's next code passes it.
  await signInByKeyboard(page);
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  await expect(page.getByLabel('Code')).toBeFocused();
  await expectAccessible(page, 'the second step');
  await page.keyboard.type('999999');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText('That code is not right');
  await page.getByLabel('Code').focus();
  await page.keyboard.type(totp(secret, 1));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(USERS);

  // A recovery code signs in once.
  await press(page, page.getByRole('button', { name: 'Sign out' }));
  await expect(page).toHaveURL(/\/login$/);
  await signInByKeyboard(page);
  await expect(page.getByLabel('Code')).toBeFocused();
  await page.keyboard.type(codes[0]);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(USERS);

  // Leave initech as the demo made it: the rule off, then the app.
  await page.goto('/domains/initech.example/settings');
  await press(page, page.getByLabel('Require two-step sign-in'), 'Space');
  await expect(page.getByLabel('Require two-step sign-in')).not.toBeChecked();
  await press(page, page.getByRole('button', { name: 'Save' }));
  await expect(page.getByRole('status')).toHaveText('The settings of initech.example were saved.');
  await page.goto('/account/security');
  await press(page, page.getByRole('button', { name: 'Turn off two-step sign-in' }));
  await expect(page.getByRole('status')).toHaveText('Two-step sign-in is off.');
});
