// Jobs one can come back to: the address bar follows the dialog to /jobs/{id}, so
// Reload, Back and Forward find the job or the Users page; the Jobs page lists the job;
// Download results; and, on the demo whose jobs wait, Reload mid-job and Stop job by
// keyboard. Changes globex.example users 124 and 125 (see helpers/auth).
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signIn, signInToGlobex } from '../helpers/auth';
import { openBulkAction } from '../helpers/bulk';
import { PAUSED_URL } from '../helpers/paused';

/** The Users page narrowed by a search that shows the users past the first page. */
const GLOBEX_12X = '/domains/globex.example/users?q=12';

test('Confirm puts the job in the address bar; Reload, Back and Forward come back to it', async ({ page }) => {
  await signInToGlobex(page);
  await page.goto(GLOBEX_12X);
  const usersUrl = page.url();
  const dialog = await openBulkAction(page, ['124', '125']);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('2 of 2 users reset')).toBeVisible();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  const jobUrl = page.url();

  await page.reload();
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2');
  await expect(page.getByText('2 of 2 users reset')).toBeVisible();
  await expect(page.getByRole('cell', { name: '124', exact: true })).toBeVisible();
  await expectAccessible(page, 'the job page');

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download results' }).click();
  const file = await (await download).path();
  const lines = (await readFile(file, 'utf8')).trim().split('\r\n');
  expect(lines[0]).toBe('Extension,Name before the job,Outcome,Reason');
  expect(lines.slice(1).map((line) => line.split(',')[0]).sort()).toEqual(['124', '125']);
  expect(lines.slice(1).every((line) => line.split(',')[2] === 'done')).toBe(true);

  // Back and Forward load the page afresh (no history cache): wait for each load.
  await Promise.all([page.waitForEvent('load'), page.goBack()]);
  await expect(page).toHaveURL(usersUrl);
  await expect(page.getByRole('heading', { level: 1, name: /Users/ })).toBeVisible();
  await Promise.all([page.waitForEvent('load'), page.goForward()]);
  await expect(page).toHaveURL(jobUrl);
  await expect(page.getByText('2 of 2 users reset')).toBeVisible();
});

test('Close after a job returns the address bar to the Users page', async ({ page }) => {
  await signInToGlobex(page);
  await page.goto(GLOBEX_12X);
  const usersUrl = page.url();
  const dialog = await openBulkAction(page, ['124']);
  await dialog.getByRole('button', { name: 'Force Password Reset' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page).toHaveURL(usersUrl);
  await expect(page.getByRole('dialog', { name: 'Bulk Action' })).toBeHidden();
});

test('the Jobs page lists the domain\'s jobs newest first and links to each', async ({ page }) => {
  await signInToGlobex(page);
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await expect(page).toHaveURL(/\/domains\/globex\.example\/jobs$/);
  const headers = page.getByRole('columnheader');
  await expect(headers).toHaveText(['Started', 'Action', 'By', 'Users', 'Done', 'Failed', 'Skipped', 'State']);
  const newest = page.getByRole('row').nth(1);
  await expect(newest.getByRole('cell').nth(1)).toHaveText('Force Password Reset');
  await expect(newest.getByRole('cell').nth(7)).toHaveText('Finished');
  await expectAccessible(page, 'the Jobs page');
  await page.screenshot({ path: 'tests/e2e/screenshots/jobs.png', fullPage: true });
  await newest.getByRole('link').click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole('progressbar')).toBeVisible();
});

test.describe('a job that waits for a worker', () => {
  test.use({ baseURL: PAUSED_URL });

  test('Reload shows it waiting, and Stop job by keyboard skips its users', async ({ page }) => {
    await signIn(page, '100@acme.example');
    await expect(page).toHaveURL(/\/domains\/acme\.example\/users$/);
    await page.goto('/domains/acme.example/users?q=13');
    const dialog = await openBulkAction(page, ['130', '131']);
    await dialog.getByRole('button', { name: 'Reset Users' }).click();
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog.getByText('0 of 2 users reset')).toBeVisible();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);

    await page.reload();
    await expect(page.getByText('0 of 2 users reset')).toBeVisible();
    const stop = page.getByRole('button', { name: 'Stop job' });
    await expect(stop).toBeVisible();
    await expectAccessible(page, 'a waiting job\'s page');
    // Keyboard only: Tab to Stop job (the page polls meanwhile), then Enter.
    for (let i = 0; i < 30 && !(await stop.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await expect(stop).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByText('Stopped by 100@acme.example. 0 of 2 users reset, 2 skipped')).toBeVisible();
    await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2');
    await expect(page.getByRole('cell', { name: 'Stopped.' })).toHaveCount(2);
    await expect(page.getByRole('button', { name: 'Stop job' })).toHaveCount(0);

    await page.goto('/domains/acme.example/jobs');
    await expect(page.getByRole('row').nth(1).getByRole('cell').nth(7)).toHaveText('Stopped');
  });
});
