// Selecting users: rows, shift-click ranges, the whole page, all matching users, and the
// Bulk Action button's state and count.
import { expect, test } from '@playwright/test';
import { signInToAcme } from '../helpers/auth';
import { expectListed, range, rowCheckbox } from '../helpers/users';

test.beforeEach(async ({ page }) => {
  await signInToAcme(page);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
});

const bulkAction = (page) => page.getByRole('button', { name: 'Bulk Action', exact: true });

test('Bulk Action is disabled until a user is selected, then shows the count', async ({ page }) => {
  await expect(bulkAction(page)).toBeDisabled();
  await rowCheckbox(page, '101').check();
  await expect(bulkAction(page)).toBeEnabled();
  await expect(page.locator('#selection-count')).toHaveText('1 user selected');
  await expect(bulkAction(page)).toContainText('1');
  await rowCheckbox(page, '103').check();
  await expect(page.locator('#selection-count')).toHaveText('2 users selected');
  await rowCheckbox(page, '101').uncheck();
  await rowCheckbox(page, '103').uncheck();
  await expect(bulkAction(page)).toBeDisabled();
});

test('shift-click selects the range between two clicks', async ({ page }) => {
  await rowCheckbox(page, '102').click();
  await rowCheckbox(page, '106').click({ modifiers: ['Shift'] });
  for (const extension of range(102, 106)) {
    await expect(rowCheckbox(page, extension)).toBeChecked();
  }
  await expect(rowCheckbox(page, '107')).not.toBeChecked();
  await expect(page.locator('#selection-count')).toHaveText('5 users selected');
});

test('the selection survives paging and is cleared by a new search', async ({ page }) => {
  await rowCheckbox(page, '101').check();
  await page.getByRole('link', { name: 'Next page' }).click();
  await expectListed(page, range(125, 149));
  await rowCheckbox(page, '130').check();
  await expect(page.locator('#selection-count')).toHaveText('2 users selected');
  await page.getByRole('link', { name: 'Previous page' }).click();
  await expect(rowCheckbox(page, '101')).toBeChecked();
  await page.getByRole('searchbox', { name: 'Search' }).fill('12');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expectListed(page, ['112', ...range(120, 129)]);
  await expect(bulkAction(page)).toBeDisabled();
  await expect(page.locator('#selection-count')).toHaveText('No users selected');
});

test('select all on this page, then all matching users across pages', async ({ page }) => {
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  for (const extension of range(100, 124)) {
    await expect(rowCheckbox(page, extension)).toBeChecked();
  }
  await expect(page.locator('#selection-count')).toHaveText('25 users selected');
  await page.getByRole('button', { name: 'Select all 60 matching users' }).click();
  await expect(page.locator('#selection-count')).toHaveText('All 60 matching users selected');
  await expect(bulkAction(page)).toContainText('60');
  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(rowCheckbox(page, '140')).toBeChecked();
  await rowCheckbox(page, '140').uncheck();
  await expect(page.locator('#selection-count')).toHaveText('24 users selected');
  // Ticking the whole page and unticking it again leaves nothing selected.
  await page.getByRole('checkbox', { name: 'Select all on this page' }).check();
  await expect(page.locator('#selection-count')).toHaveText('25 users selected');
  await page.getByRole('checkbox', { name: 'Select all on this page' }).uncheck();
  await expect(bulkAction(page)).toBeDisabled();
});
