// The audit log lists what was done, newest first, and filters.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { deleteButton } from '../helpers/users';

test('a delete appears in the audit log and the filter finds it', async ({ page }) => {
  await signInToGlobex(page);
  await page.getByRole('searchbox', { name: 'Search' }).fill('123');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await deleteButton(page, '123').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes' }).click();
  await expect(page.getByRole('status')).toContainText('User 123');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expectAccessible(page, 'the audit log');
  await page.getByRole('searchbox', { name: 'Filter' }).fill('123');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  const event = page.getByRole('row').filter({ hasText: 'Delete user' }).filter({ hasText: '123' });
  await expect(event).toHaveCount(1);
  await expect(event).toContainText('100@globex.example');
  await page.screenshot({ path: 'tests/e2e/screenshots/audit.png', fullPage: true });
});
