// Deleting one user: the dialog with No and Yes, by mouse and by keyboard alone.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { deleteButton, row, rowCheckbox } from '../helpers/users';
import { tabUntil } from '../helpers/keyboard';

test('No closes the dialog and changes nothing; Yes deletes and says so', async ({ page }) => {
  await signInToGlobex(page);
  const summary = page.locator('#users-summary');
  const before = parseInt(await summary.innerText(), 10);
  await row(page, '120').hover();
  await expect(deleteButton(page, '120')).toBeVisible();
  await deleteButton(page, '120').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('120');
  await expect(dialog).toContainText('Amelia Adams');
  await expectAccessible(page, 'the delete dialog');
  await page.screenshot({ path: 'tests/e2e/screenshots/delete-dialog.png' });
  await dialog.getByRole('button', { name: 'No' }).click();
  await expect(dialog).toBeHidden();
  await expect(deleteButton(page, '120')).toBeFocused();
  await expect(rowCheckbox(page, '120')).toBeAttached();

  await deleteButton(page, '120').click();
  await dialog.getByRole('button', { name: 'Yes' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status')).toHaveText('User 120 (Amelia Adams) was deleted.');
  await expect(rowCheckbox(page, '120')).toHaveCount(0);
  await expect(summary).toContainText(`${before - 1} users`);
});

test('the confirmation page used without JavaScript is accessible too', async ({ page }) => {
  await signInToGlobex(page);
  await page.goto('/domains/globex.example/users/127/delete?q=127');
  await expect(page.getByRole('heading', { name: /Delete user 127/ })).toBeVisible();
  await expectAccessible(page, 'the delete confirmation page');
  await page.getByRole('button', { name: 'No' }).click();
  await expect(rowCheckbox(page, '127')).toBeAttached();
});

test('a refused delete is explained inside the dialog', async ({ page }) => {
  await signInToGlobex(page);
  await deleteButton(page, '100').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Yes' }).click();
  await expect(page.getByRole('dialog').getByRole('alert')).toHaveText('You cannot do this to your own user.');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(rowCheckbox(page, '100')).toBeAttached();
});

test('keyboard only: sign in, search, select, open the dialog, confirm', async ({ page }) => {
  await page.goto('/login');
  // The Login field has focus on arrival.
  await page.keyboard.type('100@globex.example');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type('demo-password');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/domains\/globex\.example\/users$/);

  const search = page.getByRole('searchbox', { name: 'Search' });
  await tabUntil(page, () => search.evaluate((el) => el === document.activeElement));
  await page.keyboard.type('121');
  await page.keyboard.press('Enter');
  await expect(rowCheckbox(page, '121')).toBeAttached();
  await expect(rowCheckbox(page, '101')).toHaveCount(0);

  await tabUntil(page, () => rowCheckbox(page, '121').evaluate((el) => el === document.activeElement));
  await page.keyboard.press('Space');
  await expect(rowCheckbox(page, '121')).toBeChecked();
  await expect(page.getByRole('button', { name: 'Bulk Action', exact: true })).toBeEnabled();

  await tabUntil(page, () => deleteButton(page, '121').evaluate((el) => el === document.activeElement));
  // The trash button is visible on keyboard focus, with a visible focus ring.
  await expect(deleteButton(page, '121')).toHaveCSS('opacity', '1');
  expect(await deleteButton(page, '121').evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(deleteButton(page, '121')).toBeFocused();

  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'Yes' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('User 121');
  await expect(rowCheckbox(page, '121')).toHaveCount(0);
});

