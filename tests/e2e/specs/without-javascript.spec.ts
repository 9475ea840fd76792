// With JavaScript off: sign-in, the list, search, filter, sort, paging and deleting one
// user all work as plain links and forms.
import { expect, test } from '@playwright/test';
import { signInToAcme, signInToGlobex } from '../helpers/auth';
import { expectListed, range, rowCheckbox } from '../helpers/users';

test.use({ javaScriptEnabled: false });

test('list, search, filter, sort and pages work as plain links and forms', async ({ page }) => {
  await signInToAcme(page);
  await expectListed(page, range(100, 124));
  await page.getByRole('searchbox', { name: 'Search' }).fill('15');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expectListed(page, ['115', ...range(150, 159)]);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Password Required' });
  await page.getByRole('button', { name: 'Apply' }).click();
  await expectListed(page, range(155, 157));
  await page.getByRole('link', { name: 'Extension', exact: true }).click();
  await expectListed(page, ['157', '156', '155']);
  await page.goto('/domains/acme.example/users');
  await page.getByRole('link', { name: 'Next page' }).click();
  await expectListed(page, range(125, 149));
});

test('deleting one user goes through a confirmation page with Yes and No', async ({ page }) => {
  await signInToGlobex(page);
  await page.getByRole('searchbox', { name: 'Search' }).fill('126');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expectListed(page, ['126']);
  await page.getByRole('button', { name: 'Delete user 126', exact: true }).click();
  await expect(page.getByRole('heading', { name: /Delete user 126/ })).toBeVisible();
  await page.getByRole('button', { name: 'No' }).click();
  // Back on the same view: the search is kept.
  await expectListed(page, ['126']);
  await page.getByRole('button', { name: 'Delete user 126', exact: true }).click();
  await page.getByRole('button', { name: 'Yes' }).click();
  await expect(page.getByRole('status')).toHaveText(/User 126 .* was deleted\./);
  await expect(page).toHaveURL(/q=126/);
  await expect(rowCheckbox(page, '126')).toHaveCount(0);
});
