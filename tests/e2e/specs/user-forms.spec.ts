// Add User and the edit page, with a validation error first.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { rowCheckbox } from '../helpers/users';

test('Add User refuses a taken extension, then saves', async ({ page }) => {
  await signInToGlobex(page);
  await page.getByRole('link', { name: 'Add User' }).click();
  await expectAccessible(page, 'the Add User page');
  await page.getByLabel('Extension').fill('101');
  await page.getByLabel('First Name').fill('Nina');
  await page.getByLabel('Last Name').fill('Newhire');
  await page.getByLabel('E-mail').fill('nina@globex.example');
  await page.getByLabel('Scope').selectOption('Simple User');
  await page.getByLabel('Department').fill('Sales');
  await page.getByLabel('Site').fill('Remote');
  await page.getByRole('button', { name: 'Save' }).click();
  const extension = page.getByLabel('Extension');
  await expect(extension).toHaveAttribute('aria-invalid', 'true');
  await expect(extension).toHaveAccessibleDescription('Extension 101 is already taken in this domain.');
  await expect(page.getByLabel('First Name')).toHaveValue('Nina');
  await expectAccessible(page, 'the Add User page with an error');
  await extension.fill('171');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('User 171 (Nina Newhire) was added.');
  await page.getByRole('searchbox', { name: 'Search' }).fill('171');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expect(rowCheckbox(page, '171')).toBeVisible();
});

test('the edit page saves new details', async ({ page }) => {
  await signInToGlobex(page);
  await page.getByRole('link', { name: '112', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Edit user 112' })).toBeVisible();
  await expect(page.getByLabel('Extension')).toHaveAttribute('readonly', '');
  await expectAccessible(page, 'the edit page');
  await page.getByLabel('E-mail', { exact: true }).fill('not an address');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel('E-mail', { exact: true })).toHaveAccessibleDescription('Enter an e-mail address such as name@example.com.');
  await page.getByLabel('E-mail', { exact: true }).fill('renamed@globex.example');
  await page.getByLabel('First Name').fill('Renamed');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('User 112 was saved.');
  await expect(page.getByRole('row').filter({ hasText: 'renamed@globex.example' })).toBeVisible();
});
