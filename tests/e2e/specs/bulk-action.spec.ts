// The Bulk Action dialog: Reset Users (options, Select All Options, confirm, progress),
// Recycle Users, Delete Users, and Cancel. Works in globex.example (see helpers/auth).
import { expect, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { row, rowCheckbox } from '../helpers/users';

const OPTIONS = [
  'Name', 'E-mail', 'Password', 'Voicemail PIN', 'Additional phones/devices',
  'Voicemail messages', 'Voicemail greetings', 'Answering rules', 'Contacts', 'Call history',
];
const DEFAULTS = OPTIONS.slice(0, 5);

test.beforeEach(async ({ page }) => {
  await signInToGlobex(page);
  await page.evaluate(() => sessionStorage.clear());
  await page.reload();
});

async function openBulkAction(page: Page, extensions: string[]) {
  for (const extension of extensions) await rowCheckbox(page, extension).check();
  await page.getByRole('button', { name: 'Bulk Action', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog).toBeVisible();
  for (const extension of extensions) await expect(dialog.getByText(extension, { exact: true })).toBeVisible();
  return dialog;
}

test('reset with the options step, Select All Options, Back and progress', async ({ page }) => {
  const dialog = await openBulkAction(page, ['101', '102']);
  await expectAccessible(page, 'the Bulk Action dialog');
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  for (const label of OPTIONS) {
    const box = dialog.getByRole('checkbox', { name: label, exact: true });
    if (DEFAULTS.includes(label)) await expect(box).toBeChecked();
    else await expect(box).not.toBeChecked();
  }
  const recycle = dialog.getByRole('checkbox', { name: 'Recycle Users' });
  await expect(recycle).not.toBeChecked();
  await expectAccessible(page, 'the Options step');
  await page.screenshot({ path: 'tests/e2e/screenshots/bulk-options.png' });

  await dialog.getByRole('button', { name: 'Select All Options' }).click();
  for (const label of OPTIONS) await expect(dialog.getByRole('checkbox', { name: label, exact: true })).toBeChecked();
  await expect(recycle).not.toBeChecked();
  await dialog.getByRole('button', { name: 'Select All Options' }).click();
  for (const label of OPTIONS) await expect(dialog.getByRole('checkbox', { name: label, exact: true })).not.toBeChecked();
  await expect(recycle).not.toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Next' })).toBeDisabled();

  await dialog.getByRole('checkbox', { name: 'Name', exact: true }).check();
  await expect(dialog.getByRole('button', { name: 'Next' })).toBeEnabled();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(dialog.getByRole('listitem').filter({ hasText: /^Name$/ })).toBeVisible();
  await expectAccessible(page, 'the Confirm step');
  await dialog.getByRole('button', { name: 'Back' }).click();
  await expect(dialog.getByRole('checkbox', { name: 'Name', exact: true })).toBeChecked();
  await expect(dialog.getByRole('checkbox', { name: 'E-mail', exact: true })).not.toBeChecked();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();

  const bar = dialog.getByRole('progressbar');
  await expect(dialog.getByText('2 of 2 users reset')).toBeVisible();
  await expect(bar).toHaveAttribute('aria-valuenow', '2');
  await expect(bar).toHaveAttribute('aria-valuemax', '2');
  await expectAccessible(page, 'the Progress step');
  const jobUrl = await dialog.locator('[data-job-url]').getAttribute('data-job-url');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(row(page, '101')).toContainText('Setup Required');
  await expect(page.getByRole('button', { name: 'Bulk Action', exact: true })).toBeDisabled();

  // The job has a page of its own that shows the same state after a reload.
  await page.goto(jobUrl!);
  await expect(page.getByText('2 of 2 users reset')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2');
});

test('reset and recycle: empty names are refused, then the users are handed over', async ({ page }) => {
  const dialog = await openBulkAction(page, ['103', '104']);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await dialog.getByRole('checkbox', { name: 'Recycle Users' }).check();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('2 of 2 users reset')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Close' })).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Next' }).click();

  const first = dialog.getByRole('group', { name: 'Extension 103' });
  const second = dialog.getByRole('group', { name: 'Extension 104' });
  await expect(first).toBeVisible();
  await expectAccessible(page, 'the Recycle Users step');
  await first.getByLabel('First Name').fill('Nadia');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Nothing was saved');
  await expect(first.getByLabel('First Name')).toHaveValue('Nadia');
  await expect(first.getByLabel('Last Name')).toHaveAttribute('aria-invalid', 'true');
  await expect(first.getByLabel('Last Name')).toHaveAccessibleDescription('This name is required.');
  await expectAccessible(page, 'the Recycle Users step with errors');

  await first.getByLabel('Last Name').fill('Novak');
  await first.getByLabel('E-mail').fill('nadia.novak@globex.example');
  await second.getByLabel('First Name').fill('Oscar');
  await second.getByLabel('Last Name').fill('Olsen');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByText('2 users were recycled.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(row(page, '103')).toContainText('Nadia Novak');
  await expect(row(page, '103')).toContainText('Password Required');
  await expect(row(page, '104')).toContainText('Password Required');
});

test('Delete Users confirms with the count, then deletes', async ({ page }) => {
  const dialog = await openBulkAction(page, ['105', '106']);
  await dialog.getByRole('button', { name: 'Delete Users' }).click();
  await expect(dialog.getByText('Delete 2 users? You can restore them from Deleted users for 30 days.')).toBeVisible();
  await expectAccessible(page, 'the Delete Users confirmation');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('2 of 2 users deleted')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(rowCheckbox(page, '105')).toHaveCount(0);
  await expect(rowCheckbox(page, '106')).toHaveCount(0);
});

test('Cancel before Confirm changes nothing and returns focus', async ({ page }) => {
  const dialog = await openBulkAction(page, ['107']);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Bulk Action', exact: true })).toBeFocused();
  await expect(row(page, '107')).toContainText('Active');
  await page.getByRole('button', { name: 'Bulk Action', exact: true }).click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('the edit page resets one user through the same steps', async ({ page }) => {
  await page.getByRole('link', { name: '108', exact: true }).click();
  await page.getByRole('button', { name: 'Reset User' }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog.getByRole('checkbox', { name: 'Name', exact: true })).toBeChecked();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('1 of 1 users reset')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByLabel('First Name')).toHaveValue('');
  await expect(page.getByLabel('E-mail', { exact: true })).toHaveValue('');
});

/** Presses Tab (or Shift+Tab) until `target` has focus. */
async function tabTo(page: Page, target: import('@playwright/test').Locator, backwards = false) {
  for (let i = 0; i < 120; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error('the control never received focus by Tab');
}

test('keyboard only: select, reset with Recycle Users, recycle, close', async ({ page }) => {
  await tabTo(page, rowCheckbox(page, '109'));
  await page.keyboard.press('Space');
  await expect(rowCheckbox(page, '109')).toBeChecked();
  const bulk = page.getByRole('button', { name: 'Bulk Action', exact: true });
  await tabTo(page, bulk, true);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);

  await tabTo(page, dialog.getByRole('button', { name: 'Reset Users' }));
  await page.keyboard.press('Enter');
  const recycle = dialog.getByRole('checkbox', { name: 'Recycle Users' });
  await tabTo(page, recycle);
  await page.keyboard.press('Space');
  await expect(recycle).toBeChecked();
  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  await tabTo(page, dialog.getByRole('button', { name: 'Confirm' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('1 of 1 users reset')).toBeVisible();

  await tabTo(page, dialog.getByRole('button', { name: 'Next' }));
  await page.keyboard.press('Enter');
  const group = dialog.getByRole('group', { name: 'Extension 109' });
  await tabTo(page, group.getByLabel('First Name'));
  await page.keyboard.type('Kim');
  await page.keyboard.press('Tab');
  await expect(group.getByLabel('Last Name')).toBeFocused();
  await page.keyboard.type('Keys');
  await tabTo(page, dialog.getByRole('button', { name: 'Save' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('1 user was recycled.')).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(row(page, '109')).toContainText('Kim Keys');
  await expect(row(page, '109')).toContainText('Password Required');
});
