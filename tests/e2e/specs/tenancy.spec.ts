// Tenant isolation and the domain picker (SPEC section 4); writes the Domains screenshot.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signIn, signInToAcme } from '../helpers/auth';

test('an office manager cannot reach another domain', async ({ page }) => {
  await signInToAcme(page);
  const response = await page.goto('/domains/globex.example/users');
  expect(response?.status()).toBe(403);
  await expect(page.getByText('This domain is not one you manage.')).toBeVisible();
  await expect(page.getByRole('table')).toHaveCount(0);
  const edit = await page.goto('/domains/globex.example/users/101');
  expect(edit?.status()).toBe(403);
  const audit = await page.goto('/domains/globex.example/audit');
  expect(audit?.status()).toBe(403);
});

test('a reseller picks one of its domains', async ({ page }) => {
  await signIn(page, '8000@northwind.example');
  await expect(page).toHaveURL(/\/domains$/);
  await expectAccessible(page, 'the domain list');
  await expect(page.getByRole('link', { name: 'acme.example', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'globex.example', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'initech.example', exact: true })).toHaveCount(0);
  await page.getByRole('link', { name: 'globex.example', exact: true }).click();
  await expect(page).toHaveURL(/\/domains\/globex\.example\/users$/);
  await expect(page.getByRole('checkbox', { name: 'Select 124', exact: true })).toBeAttached();
});

test('a super user sees every domain', async ({ page }) => {
  await signIn(page, '9000@platform.example');
  for (const domain of ['acme.example', 'globex.example', 'initech.example', 'northwind.example', 'platform.example']) {
    await expect(page.getByRole('link', { name: domain, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('table', { name: 'Domains you may open' }).getByRole('columnheader')).toHaveText(['Domain', 'Description']);
  await expectAccessible(page, 'the domain list of a super user');
  await page.screenshot({ path: 'tests/e2e/screenshots/domains.png', fullPage: true });
  await page.getByRole('link', { name: 'initech.example', exact: true }).click();
  await expect(page.getByRole('checkbox', { name: 'Select 119', exact: true })).toBeAttached();
});
