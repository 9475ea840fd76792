// Undo reset: a finished reset offers Undo reset in its Progress step; it goes through a
// Confirm step to a job that puts back what the reset cleared. Changes globex.example
// user 129 only (see helpers/auth), and leaves it as it was.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { openBulkAction } from '../helpers/bulk';
import { row } from '../helpers/users';

const GLOBEX_12X = '/domains/globex.example/users?q=12';

test('Undo reset puts back what a reset cleared', async ({ page }) => {
  await signInToGlobex(page);
  await page.goto(GLOBEX_12X);
  const nameCell = row(page, '129').getByRole('cell').nth(2);
  const name = (await nameCell.innerText()).trim();
  expect(name).not.toBe('');

  const dialog = await openBulkAction(page, ['129']);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('1 of 1 users reset')).toBeVisible();
  const undo = dialog.getByRole('button', { name: 'Undo reset' });
  await expect(undo).toBeVisible();
  await expectAccessible(page, 'a finished reset with Undo reset');

  await undo.click();
  await expect(dialog.getByRole('heading', { name: 'Undo reset: confirm' })).toBeVisible();
  await expect(dialog.getByText('Put back what the reset cleared for 1 user?')).toBeVisible();
  await expect(dialog.getByRole('listitem').filter({ hasText: /^Name$/ })).toBeVisible();
  await expectAccessible(page, 'the Confirm step of Undo reset');
  // Keyboard: focus Confirm and press Enter.
  await dialog.getByRole('button', { name: 'Confirm' }).focus();
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('1 of 1 users put back')).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(dialog.getByRole('button', { name: 'Undo reset' })).toHaveCount(0);

  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page).toHaveURL(/\/domains\/globex\.example\/users\?q=12$/);
  await expect(row(page, '129').getByRole('cell').nth(2)).toHaveText(name);
});
