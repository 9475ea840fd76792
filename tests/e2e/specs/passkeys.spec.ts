// Passkeys (SPEC 5, "Two-step sign-in"), with Chromium's virtual authenticator (the
// DevTools protocol's WebAuthn domain): the office manager of initech.example adds a
// passkey on Security, signs out, signs in with it alone (Sign in with a passkey, no
// login or password), then with a password and the passkey as the second step (Use a
// passkey). By keyboard, with axe on each step. WebAuthn refuses IP addresses, so this
// spec reaches the portal as localhost. At the end two-step sign-in is turned off again.
import { expect, Locator, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { DEMO_PASSWORD } from '../helpers/auth';
import { isFocused, tabUntil } from '../helpers/keyboard';

const LOGIN = '100@initech.example';
const USERS = /\/domains\/initech\.example\/users$/;

/** Moves focus by Tab to `control` and presses `key` on it. */
async function press(page: Page, control: Locator, key = 'Enter') {
  await tabUntil(page, isFocused(control));
  await page.keyboard.press(key);
}

async function addVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

async function signOut(page: Page) {
  await press(page, page.getByRole('button', { name: 'Sign out' }));
  await expect(page).toHaveURL(/\/login$/);
}

test('a passkey is added, then signs in alone and as the second step', async ({ page, baseURL }) => {
  const local = (baseURL ?? '').replace('127.0.0.1', 'localhost');
  await addVirtualAuthenticator(page);
  await page.goto(`${local}/login`);
  await expect(page.getByLabel('Login')).toBeFocused();
  await page.keyboard.type(LOGIN);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(USERS);

  await page.goto(`${local}/account/security`);
  await tabUntil(page, isFocused(page.getByLabel('Passkey name')));
  await page.keyboard.type('Work laptop');
  await page.keyboard.press('Enter');
  const proceed = page.getByRole('button', { name: 'Continue' });
  await expect(proceed).toBeVisible();
  await expectAccessible(page, 'adding a passkey');
  await press(page, proceed);
  await expect(page.getByRole('status')).toHaveText('Passkey Work laptop was added.');
  await expect(page.locator('#recovery-codes code')).toHaveCount(10);
  await expect(page.getByRole('button', { name: 'Remove Work laptop' })).toBeVisible();
  await expectAccessible(page, 'Security with a passkey');
  await signOut(page);

  // The passkey alone: no login, no password.
  const withPasskey = page.getByRole('link', { name: 'Sign in with a passkey' });
  await expect(withPasskey).toBeVisible();
  await expectAccessible(page, 'sign-in with a passkey offered');
  await press(page, withPasskey);
  await expect(page).toHaveURL(USERS);
  await expect(page.getByText(`Signed in as ${LOGIN}`)).toBeVisible();
  await signOut(page);

  // A password first, then the passkey as the second step.
  await expect(page.getByLabel('Login')).toBeFocused();
  await page.keyboard.type(LOGIN);
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  const usePasskey = page.getByRole('button', { name: 'Use a passkey' });
  await expectAccessible(page, 'the second step with a passkey');
  await press(page, usePasskey);
  await expect(page).toHaveURL(USERS);

  // Leave initech as the demo made it.
  await page.goto(`${local}/account/security`);
  await press(page, page.getByRole('button', { name: 'Turn off two-step sign-in' }));
  await expect(page.getByRole('status')).toHaveText('Two-step sign-in is off.');
});
