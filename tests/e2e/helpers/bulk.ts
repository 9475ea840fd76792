// Driving the Bulk Action dialog of SPEC 5 by role and accessible name.
import { expect, Locator, Page } from '@playwright/test';
import { row, rowCheckbox } from './users';

export const RESET_OPTIONS = [
  'Name', 'E-mail', 'Password', 'Voicemail PIN', 'Additional phones/devices',
  'Voicemail messages', 'Voicemail greetings', 'Answering rules', 'Contacts', 'Call history',
];

/** Selects the users on the Users page and opens the Bulk Action dialog listing them. */
export async function openBulkAction(page: Page, extensions: string[]): Promise<Locator> {
  for (const extension of extensions) await rowCheckbox(page, extension).check();
  await page.getByRole('button', { name: 'Bulk Action', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog).toBeVisible();
  for (const extension of extensions) await expect(dialog.getByText(extension, { exact: true })).toBeVisible();
  return dialog;
}

/**
 * Runs Reset Users on the users with exactly the `options` checked (their labels), to
 * the end of the Progress step, and closes the dialog.
 */
export async function resetUsers(page: Page, extensions: string[], options: string[]) {
  const dialog = await openBulkAction(page, extensions);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  for (const label of RESET_OPTIONS) {
    const box = dialog.getByRole('checkbox', { name: label, exact: true });
    await box.setChecked(options.includes(label));
  }
  await dialog.getByRole('button', { name: 'Next' }).click();
  for (const label of options) {
    await expect(dialog.getByRole('listitem').filter({ hasText: new RegExp(`^${label}$`) })).toBeVisible();
  }
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const n = extensions.length;
  await expect(dialog.getByText(`${n} of ${n} users reset`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
}

/** The E-mail cell of a user's row on the Users page. */
export async function emailOf(page: Page, extension: string): Promise<string> {
  const cell = row(page, extension).getByRole('cell').filter({ hasText: /^\S+@\S+$/ });
  await expect(cell).toHaveCount(1);
  return (await cell.innerText()).trim();
}
