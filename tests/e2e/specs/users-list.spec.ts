// Search, status filter, sort, pages, page size and system users; all in the URL.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToAcme } from '../helpers/auth';
import { expectListed, listedExtensions, range } from '../helpers/users';

test.beforeEach(async ({ page }) => {
  await signInToAcme(page);
});

test('the default view: 25 users by extension, with every column', async ({ page }) => {
  await expectListed(page, range(100, 124));
  const headers = await page.getByRole('columnheader').allInnerTexts();
  expect(headers.map((h) => h.replace(/[▲▼]/g, '').trim())).toEqual([
    'Extension', 'Name', 'E-mail', 'Department', 'Site', 'Scope', 'Devices', 'Status',
  ]);
  await expect(page.getByText('60 users · page 1 of 3')).toBeVisible();
  await expectAccessible(page, 'the Users page');
  await page.screenshot({ path: 'tests/e2e/screenshots/users.png', fullPage: true });
});

test('search applies as you type and on Enter, and survives a reload', async ({ page }) => {
  await page.getByRole('searchbox', { name: 'Search' }).pressSequentially('15');
  await expectListed(page, ['115', ...range(150, 159)]);
  await expect(page).toHaveURL(/q=15/);
  await page.reload();
  await expectListed(page, ['115', ...range(150, 159)]);
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue('15');
  await page.getByRole('searchbox', { name: 'Search' }).fill('ben larsen');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expectListed(page, ['101']);
});

test('the status filter, sorting both ways, page size and paging', async ({ page }) => {
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Setup Required' });
  await expectListed(page, range(150, 154));
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'All statuses' });
  await expectListed(page, range(100, 124));
  await page.getByRole('link', { name: 'Extension', exact: true }).click();
  await expectListed(page, range(135, 159).reverse());
  await expect(page.getByRole('columnheader', { name: 'Extension' })).toHaveAttribute('aria-sort', 'descending');
  await page.getByRole('link', { name: 'Extension', exact: true }).click();
  await expectListed(page, range(100, 124));
  await page.getByRole('link', { name: 'Status', exact: true }).click();
  await expect.poll(async () => (await listedExtensions(page)).slice(0, 5)).toEqual(range(150, 154));
  await page.getByRole('combobox', { name: 'Per page' }).selectOption('50');
  await expect.poll(async () => (await listedExtensions(page)).length).toBe(50);
  await expect(page).toHaveURL(/per_page=50/);
  await page.getByRole('link', { name: 'Next page' }).click();
  await expect.poll(async () => (await listedExtensions(page)).length).toBe(10);
  await page.getByRole('link', { name: 'Previous page' }).click();
  await expect.poll(async () => (await listedExtensions(page)).length).toBe(50);
  // Back loads the earlier view afresh (htmx keeps no history cache, so a page never
  // comes back with stale users): wait for that load, then read it.
  await Promise.all([page.waitForEvent('load'), page.goBack()]);
  await expect.poll(async () => (await listedExtensions(page)).length).toBe(10);
});

test('system users appear only with Show system users', async ({ page }) => {
  await page.goto('/domains/acme.example/users?per_page=100');
  await expect(page.getByRole('checkbox', { name: 'Select 9990', exact: true })).toHaveCount(0);
  await page.getByRole('checkbox', { name: 'Show system users' }).check();
  await expect(page.getByRole('checkbox', { name: 'Select 9990', exact: true })).toBeVisible();
  await expect(page).toHaveURL(/system=1/);
});

test('export downloads the current view as CSV', async ({ page }) => {
  await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Password Required' });
  await expectListed(page, range(155, 157));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('users-acme.example.csv');
  const path = await download.path();
  const text = require('fs').readFileSync(path, 'utf8') as string;
  const lines = text.trim().split('\r\n');
  expect(lines[0]).toBe('Extension,First Name,Last Name,E-mail,Department,Site,Time zone,Caller ID number,Emergency caller ID,Scope,Devices,Status,Password change pending');
  expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['155', '156', '157']);
});
