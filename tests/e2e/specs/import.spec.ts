// Import from a spreadsheet: the Users page's Import link, Check of a CSV file (the
// counts, what each row does, Download errors with an `error` column), Import {N} rows
// as a job to its Progress step; by keyboard alone too, with Send Welcome Email; and a
// file without an extension column refused in an alert. Adds initech.example users 300,
// 301, 310 and 311, which no other spec touches, as the Super User (SPEC 7: initech has
// no documented office manager login).
import * as fs from 'fs';
import { expect, Locator, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signIn } from '../helpers/auth';
import { waitForMail } from '../helpers/mail';
import { expectListed, row } from '../helpers/users';
import { tabUntil, isFocused } from '../helpers/keyboard';

const INITECH_USERS = /\/domains\/initech\.example\/users$/;
const INITECH_IMPORT = /\/domains\/initech\.example\/import$/;
const WELCOME_SUBJECT = 'Your phone portal login for initech.example';

/** Signs in as the Super User and opens the Users page of initech.example. */
async function signInToInitech(page: Page) {
  await signIn(page, '9000@platform.example');
  await expect(page).toHaveURL(/\/domains$/);
  await page.getByRole('link', { name: 'initech.example', exact: true }).click();
  await expect(page).toHaveURL(INITECH_USERS);
}

/** Opens the Import page from the Users page's Import link. */
async function openImport(page: Page) {
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  await expect(page).toHaveURL(INITECH_IMPORT);
  await expect(page.getByRole('heading', { level: 1, name: /^Import users/ })).toBeVisible();
}

/** Chooses `csv` as the file `name` in the CSV file input. */
async function chooseFile(page: Page, name: string, csv: string) {
  await page.getByLabel('CSV file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv) });
}

/** The cells of the check table's row for an extension. */
function checkedRow(table: Locator, extension: string): Locator {
  return table.getByRole('row').filter({ has: table.page().getByRole('cell', { name: extension, exact: true }) });
}



test('Check shows what each row does, Download errors gives the rejected rows, Import adds the users', async ({ page }) => {
  const csv = [
    'extension,first_name,last_name,email',
    '300,Peter,Gibbons,peter.gibbons@initech.example',
    '301,Samir,Nagheenanajar,samir.nagheenanajar@initech.example',
    '302,Milton,,milton.waddams@initech.example',
  ].join('\r\n') + '\r\n';

  await signInToInitech(page);
  await openImport(page);
  await expectAccessible(page, 'the Import page');
  await chooseFile(page, 'hires.csv', csv);
  await page.getByRole('button', { name: 'Check', exact: true }).click();

  await expect(page.getByRole('heading', { level: 1, name: /^Import: check/ })).toBeVisible();
  // The check has an address of its own: Reload shows it again without sending the file.
  await expect(page).toHaveURL(/\/domains\/initech\.example\/import\/[A-Za-z0-9_-]{40,}$/);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: /^Import: check/ })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: /^(Add|Update|Recycle|Reset|Delete|Skip|Error): \d+$/ }))
    .toHaveText(['Add: 2', 'Error: 1']);
  const table = page.getByRole('table', { name: 'What each row of hires.csv does' });
  await expect(table.getByRole('columnheader')).toHaveText(['Row', 'Extension', 'Name', 'Outcome', 'Message']);
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(checkedRow(table, '300').getByRole('cell')).toHaveText(['2', '300', 'Peter Gibbons', 'Add', '']);
  await expect(checkedRow(table, '301').getByRole('cell')).toHaveText(['3', '301', 'Samir Nagheenanajar', 'Add', '']);
  await expect(checkedRow(table, '302').getByRole('cell')).toHaveText(['4', '302', '', 'Error', 'Row 4: Last Name is required.']);
  await expect(page.getByRole('checkbox', { name: 'Send Welcome Email' })).not.toBeChecked();
  await expectAccessible(page, 'the Import check page');

  // Download errors: the rejected row as the file had it, with an error column.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download errors' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('hires-errors.csv');
  const errors = fs.readFileSync(await download.path(), 'utf8');
  expect(errors).toBe(
    'extension,first_name,last_name,email,error\r\n' +
      '302,Milton,,milton.waddams@initech.example,Row 4: Last Name is required.\r\n',
  );

  // Check changed nothing (seen from a second tab, so the check page stays as it is).
  const users = await page.context().newPage();
  await users.goto('/domains/initech.example/users?q=30');
  await expect(users.getByRole('searchbox', { name: 'Search' })).toHaveValue('30');
  await expectListed(users, []);
  await users.close();

  await page.getByRole('button', { name: 'Import 2 rows', exact: true }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByText('2 of 2 rows imported', { exact: true })).toBeVisible();
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2');
  const outcomes = page.getByRole('table', { name: 'Outcome per user' });
  await expect(outcomes.getByRole('columnheader')).toHaveText(['Extension', 'Name', 'Outcome', 'Reason']);
  for (const extension of ['300', '301']) {
    const cells = outcomes.getByRole('row').filter({ hasText: extension }).getByRole('cell');
    await expect(cells.nth(0)).toHaveText(extension);
    await expect(cells.nth(2)).toHaveText('done');
  }
  await expect(outcomes.getByRole('cell', { name: '302', exact: true })).toHaveCount(0);
  await expectAccessible(page, 'the Import Progress step');

  await page.goto('/domains/initech.example/users');
  await page.getByRole('searchbox', { name: 'Search' }).fill('30');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expectListed(page, ['300', '301']);
  await expect(row(page, '300').getByRole('cell').nth(2)).toHaveText('Peter Gibbons');
  await expect(row(page, '301').getByRole('cell').nth(2)).toHaveText('Samir Nagheenanajar');
});

test('keyboard only: Check, Send Welcome Email and Import', async ({ page }, testInfo) => {
  const csv = [
    'extension,first_name,last_name,email,department',
    '310,Michael,Bolton,michael.bolton@initech.example,Engineering',
    '311,Joanna,Tauber,joanna.tauber@initech.example,',
  ].join('\n') + '\n';

  await signInToInitech(page);
  await openImport(page);
  // A file input's dialog cannot be driven by keys: choose the file, then only the keyboard.
  await chooseFile(page, 'keyboard.csv', csv);

  await page.locator('body').focus();
  await tabUntil(page, isFocused(page.getByRole('button', { name: 'Check', exact: true })));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: /^Import: check/ })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: /^Add: \d+$/ })).toHaveText('Add: 2');
  await expect(page.getByRole('link', { name: 'Download errors' })).toHaveCount(0);

  const welcome = page.getByRole('checkbox', { name: 'Send Welcome Email' });
  await tabUntil(page, isFocused(welcome));
  await page.keyboard.press('Space');
  await expect(welcome).toBeChecked();

  const since = Date.now();
  await tabUntil(page, isFocused(page.getByRole('button', { name: 'Import 2 rows', exact: true })));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByText('2 of 2 rows imported', { exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'done', exact: true })).toHaveCount(2);

  for (const email of ['michael.bolton@initech.example', 'joanna.tauber@initech.example']) {
    const mail = await waitForMail(testInfo, email, { subjectContains: WELCOME_SUBJECT, since });
    expect(mail.subject).toBe(WELCOME_SUBJECT);
  }

  await page.goto('/domains/initech.example/users?q=31');
  await expectListed(page, ['310', '311']);
  await expect(row(page, '310').getByRole('cell').nth(2)).toHaveText('Michael Bolton');
});

test('a file without an extension column is refused in an alert', async ({ page }) => {
  await signInToInitech(page);
  await openImport(page);
  await chooseFile(page, 'names.csv', 'first_name,last_name\r\nBill,Lumbergh\r\n');
  await page.getByRole('button', { name: 'Check', exact: true }).click();

  await expect(page).toHaveURL(INITECH_IMPORT);
  await expect(page.getByRole('heading', { level: 1, name: /^Import users/ })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('The file has no extension column.');
  await expect(page.getByLabel('CSV file')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('heading', { name: /^Import: check/ })).toHaveCount(0);
  await expectAccessible(page, 'the Import page refusing a file');
});
