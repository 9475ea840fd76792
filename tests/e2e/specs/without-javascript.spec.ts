// With JavaScript off: sign-in, the list, search, filter, sort, paging and deleting one
// user all work as plain links and forms; the Bulk Action dialog's steps come as pages.
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

test('Edit Users and Undo edit go through the Bulk Action steps as pages', async ({ page }) => {
  await signInToAcme(page);
  const siteOf = async (extension: string) => {
    await page.goto(`/domains/acme.example/users/${extension}`);
    return page.getByLabel('Site', { exact: true }).inputValue();
  };
  const before = [await siteOf('151'), await siteOf('152')];
  expect(before).not.toContain('No Script Annex');
  await page.goto('/domains/acme.example/users?q=15');
  await rowCheckbox(page, '151').check();
  await rowCheckbox(page, '152').check();
  // The script's Bulk Action button and count are hidden; the form's own button leads on.
  await expect(page.getByRole('button', { name: 'Bulk Action', exact: true })).toBeHidden();
  await page.getByRole('button', { name: 'Bulk Action for the checked users' }).click();
  await expect(page.getByRole('heading', { name: 'Bulk Action', level: 1 })).toBeVisible();
  await expect(page.getByText('2 users selected')).toBeVisible();
  await page.getByRole('button', { name: 'Edit Users' }).click();
  await page.getByRole('checkbox', { name: 'Change Site' }).check();
  await page.getByLabel('Site', { exact: true }).fill('No Script Annex');
  await page.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(page.getByText('Set Site to No Script Annex for 2 users.')).toBeVisible();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  // The job's page refreshes itself until the job ends, then offers Undo edit.
  await page.getByRole('button', { name: 'Undo edit' }).click({ timeout: 20_000 });
  await expect(page.getByRole('heading', { name: 'Undo edit', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole('link', { name: 'Download results' })).toBeVisible();
  await expect.poll(async () => [await siteOf('151'), await siteOf('152')], { timeout: 20_000 }).toEqual(before);
});
