// Sign-in, the generic error, scope refusal, the forced password change, sign-out.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { DEMO_PASSWORD, signIn } from '../helpers/auth';

test('an office manager signs in, lands on the Users page and signs out', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await expectAccessible(page, 'the sign-in page');
  await signIn(page, '100@acme.example');
  await expect(page).toHaveURL(/\/domains\/acme\.example\/users$/);
  await expect(page.getByRole('heading', { name: /Users/ })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/domains/acme.example/users');
  await expect(page).toHaveURL(/\/login$/);
});

test('wrong credentials get one generic error', async ({ page }) => {
  await signIn(page, '100@acme.example', 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('The login or password is not correct.');
  await expect(page.getByLabel('Login')).toHaveValue('100@acme.example');
  await signIn(page, '100@nowhere.example');
  await expect(page.getByRole('alert')).toHaveText('The login or password is not correct.');
  await expectAccessible(page, 'the sign-in page with an error');
});

test('a Basic User is refused the Users page with a page that says why', async ({ page }) => {
  await signIn(page, '101@acme.example');
  await expect(page.getByText('Managing users needs the Office Manager scope or higher.')).toBeVisible();
  const response = await page.goto('/domains/acme.example/users');
  expect(response?.status()).toBe(403);
  await expectAccessible(page, 'the 403 page');
});

test('a user with a pending password change must choose a new password first', async ({ page }) => {
  await signIn(page, '158@acme.example');
  await expect(page).toHaveURL(/\/account\/password$/);
  await expectAccessible(page, 'the change-password page');
  await expect(page.getByLabel('Voicemail PIN')).toHaveCount(0);
  await page.getByLabel('New password').fill('a brand new secret');
  await page.getByLabel('Confirm password').fill('a different secret');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('The two passwords do not match.')).toBeVisible();
  await expect(page.getByLabel('Confirm password')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'the change-password page with an error');
  await page.getByLabel('New password').fill('a brand new secret');
  await page.getByLabel('Confirm password').fill('a brand new secret');
  await page.getByRole('button', { name: 'Save' }).click();
  // 158 is a Basic User: past the change it meets the scope refusal, not the form again.
  await expect(page.getByText('Managing users needs the Office Manager scope or higher.')).toBeVisible();
  await page.goto('/logout');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, '158@acme.example', DEMO_PASSWORD);
  await expect(page.getByRole('alert')).toHaveText('The login or password is not correct.');
});
