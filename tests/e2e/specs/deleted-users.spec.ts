// Deleted users and Restore: a deleted user is listed on the Deleted users page, with
// when and by whom; Restore goes through a Confirm step to a job that brings the user
// back; by keyboard alone too; and a user whose extension is in use again is skipped.
// Changes globex.example users 128 and 129 only (see helpers/auth).
import { expect, Locator, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { deleteButton, row, rowCheckbox } from '../helpers/users';
import { tabUntil, isFocused } from '../helpers/keyboard';

/** The Users page narrowed by a search that shows the users past the first page. */
const GLOBEX_12X = '/domains/globex.example/users?q=12';
const DELETED = /\/domains\/globex\.example\/users\/deleted$/;

/** The Name cell of a user's row on the Users page. */
async function nameOf(page: Page, extension: string): Promise<string> {
  const name = (await row(page, extension).getByRole('cell').nth(2).innerText()).trim();
  expect(name).not.toBe('');
  return name;
}

/** The Devices cell of a user's row on the Users page. */
async function devicesOf(page: Page, extension: string): Promise<string> {
  const devices = (await row(page, extension).getByRole('cell').nth(7).innerText()).trim();
  expect(devices).toMatch(/^\d+$/);
  return devices;
}

/** Deletes one user with its row's trash button and Yes in the dialog; returns its name. */
async function deleteUser(page: Page, extension: string): Promise<string> {
  await page.goto(GLOBEX_12X);
  const name = await nameOf(page, extension);
  await row(page, extension).hover();
  await deleteButton(page, extension).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('You can restore them from Deleted users for 30 days.');
  await dialog.getByRole('button', { name: 'Yes' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status')).toHaveText(`User ${extension} (${name}) was deleted.`);
  await expect(rowCheckbox(page, extension)).toHaveCount(0);
  return name;
}



test('a deleted user is listed with who deleted it, and Restore brings it back', async ({ page }) => {
  await signInToGlobex(page);
  await page.goto(GLOBEX_12X);
  const devices = await devicesOf(page, '128');
  const name = await deleteUser(page, '128');

  await page.getByRole('link', { name: 'Deleted users', exact: true }).click();
  await expect(page).toHaveURL(DELETED);
  await expect(page.getByRole('heading', { level: 1, name: /Deleted users/ })).toBeVisible();
  await expect(page.getByRole('columnheader')).toHaveText(['Extension', 'Name', 'E-mail', 'Deleted', 'By']);
  const deleted = row(page, '128');
  await expect(deleted).toHaveCount(1);
  await expect(rowCheckbox(page, '128')).not.toBeChecked();
  const cells = deleted.getByRole('cell');
  await expect(cells.nth(1)).toHaveText('128');
  await expect(cells.nth(2)).toHaveText(name);
  await expect(cells.nth(4)).not.toHaveText('');
  await expect(cells.nth(5)).toHaveText('100@globex.example');
  await expectAccessible(page, 'the Deleted users page');
  await page.screenshot({ path: 'tests/e2e/screenshots/deleted-users.png', fullPage: true });

  await rowCheckbox(page, '128').check();
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Restore: confirm' })).toBeVisible();
  await expect(page.getByText('Restore 1 user?')).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: `128 ${name}` })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back', exact: true })).toBeVisible();
  await expect(page).toHaveURL(DELETED);
  await expectAccessible(page, 'the Restore Confirm step');

  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page.getByText('1 of 1 users restored', { exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '1');
  const outcome = page.getByRole('table', { name: 'Outcome per user' }).getByRole('row').filter({ hasText: '128' });
  await expect(outcome.getByRole('cell')).toHaveText(['128', name, 'done', '']);
  await expect(page.getByRole('link', { name: 'Download results' })).toBeVisible();
  await expectAccessible(page, 'the Restore Progress step');

  // Close goes back to Deleted users, which no longer lists the restored user.
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page).toHaveURL(DELETED);
  await expect(page.getByRole('heading', { level: 1, name: /Deleted users/ })).toBeVisible();
  await expect(rowCheckbox(page, '128')).toHaveCount(0);

  await page.goto(GLOBEX_12X);
  await expect(rowCheckbox(page, '128')).toBeAttached();
  expect(await nameOf(page, '128')).toBe(name);
  // It comes back with what was attached to it.
  expect(await devicesOf(page, '128')).toBe(devices);
});

test('keyboard only: select a deleted user, Restore and Confirm', async ({ page }) => {
  await signInToGlobex(page);
  // Setup by mouse; from here on only the keyboard.
  const name = await deleteUser(page, '129');

  const link = page.getByRole('link', { name: 'Deleted users', exact: true });
  await tabUntil(page, isFocused(link));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(DELETED);

  const box = rowCheckbox(page, '129');
  await tabUntil(page, isFocused(box));
  await page.keyboard.press('Space');
  await expect(box).toBeChecked();

  const restore = page.getByRole('button', { name: 'Restore', exact: true });
  await tabUntil(page, isFocused(restore));
  await page.keyboard.press('Enter');
  // The step takes focus, so the keyboard carries on from it.
  await expect(page.getByRole('heading', { name: 'Restore: confirm' })).toBeFocused();
  await expect(page.getByRole('listitem').filter({ hasText: `129 ${name}` })).toBeVisible();

  const confirm = page.getByRole('button', { name: 'Confirm', exact: true });
  await tabUntil(page, isFocused(confirm));
  await page.keyboard.press('Enter');
  await expect(page.getByText('1 of 1 users restored', { exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole('cell', { name: 'done', exact: true })).toHaveCount(1);

  await page.goto(GLOBEX_12X);
  await expect(rowCheckbox(page, '129')).toBeAttached();
});

test('a deleted user whose extension is in use again is skipped', async ({ page }) => {
  await signInToGlobex(page);
  const name = await deleteUser(page, '128');

  await page.getByRole('link', { name: 'Add User' }).click();
  await page.getByLabel('Extension').fill('128');
  await page.getByLabel('First Name').fill('Reuse');
  await page.getByLabel('Last Name').fill('Extension');
  await page.getByLabel('Scope').selectOption('Simple User');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('User 128 (Reuse Extension) was added.');

  await page.getByRole('link', { name: 'Deleted users', exact: true }).click();
  await expect(page).toHaveURL(DELETED);
  await rowCheckbox(page, '128').check();
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Restore: confirm' })).toBeVisible();
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '1');
  const outcome = page.getByRole('table', { name: 'Outcome per user' }).getByRole('row').filter({ hasText: '128' });
  await expect(outcome.getByRole('cell')).toHaveText(['128', name, 'skipped', 'Extension 128 is in use.']);
  await expectAccessible(page, 'a Restore with a skipped user');

  // The deleted user stays restorable; the new 128 keeps its extension.
  await page.goto('/domains/globex.example/users/deleted');
  await expect(rowCheckbox(page, '128')).toHaveCount(1);
  await page.goto(GLOBEX_12X);
  expect(await nameOf(page, '128')).toBe('Reuse Extension');
});
