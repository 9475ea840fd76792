// Mail from the Bulk Action dialog: Send Welcome Email, Force Password Reset, the
// recycle form's Send Welcome Email, and the set-password link the mail carries.
// Works in globex.example on users 110, 111, 113, 114, 115, 116, 117, 118, 119 and 122,
// which no other spec touches; reads the demo's mail folder (helpers/mail).
import { Browser, expect, Page, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { DEMO_PASSWORD, signIn, signInToGlobex } from '../helpers/auth';
import { emailOf, openBulkAction, resetUsers } from '../helpers/bulk';
import { linkIn, readMails, waitForMail } from '../helpers/mail';
import { row, rowCheckbox } from '../helpers/users';

const NEW_PASSWORD = 'a long new passphrase';
const PIN = '2580';
const WELCOME_SUBJECT = 'Your phone portal login for globex.example';
const RESET_SUBJECT = 'Reset your phone portal password for globex.example';
const SCOPE_REFUSAL = 'Managing users needs the Office Manager scope or higher.';

/** A browser context of someone who is not signed in, e.g. the person a mail reached. */
async function stranger(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}

/** Runs Send Welcome Email on the users through Confirm and Progress, then closes. */
async function sendWelcome(page: Page, extensions: string[]) {
  const dialog = await openBulkAction(page, extensions);
  await dialog.getByRole('button', { name: 'Send Welcome Email' }).click();
  await expect(dialog.getByRole('heading', { name: 'Send Welcome Email: confirm' })).toBeVisible();
  await expect(dialog.getByText(`Send a welcome e-mail to ${extensions.length} users?`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const n = extensions.length;
  await expect(dialog.getByText(`${n} of ${n} users welcomed`)).toBeVisible();
  await expect(dialog.getByRole('progressbar')).toHaveAttribute('aria-valuenow', String(n));
  await expect(dialog.getByRole('progressbar')).toHaveAttribute('aria-valuemax', String(n));
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
}

/** Runs Force Password Reset on the users through Confirm and Progress, then closes. */
async function forcePasswordReset(page: Page, extensions: string[]) {
  const dialog = await openBulkAction(page, extensions);
  await dialog.getByRole('button', { name: 'Force Password Reset' }).click();
  await expect(dialog.getByRole('heading', { name: 'Force Password Reset: confirm' })).toBeVisible();
  await expect(dialog.getByText(`Make ${extensions.length} users choose a new password?`)).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  const n = extensions.length;
  await expect(dialog.getByText(`${n} of ${n} users made to reset their password`)).toBeVisible();
  await expect(dialog.getByRole('progressbar')).toHaveAttribute('aria-valuenow', String(n));
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
}

/** Fills and saves the set-password page a link opened. */
async function choosePassword(page: Page, password = NEW_PASSWORD, pin = PIN) {
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByLabel('Voicemail PIN').fill(pin);
  await page.getByRole('button', { name: 'Save' }).click();
}

test('Send Welcome Email: the link sets password and PIN, and the user becomes Active', async ({ page, browser, baseURL }, testInfo) => {
  await signInToGlobex(page);
  const email = await emailOf(page, '110');
  // Only the password cleared: the name stays, so the user needs a password.
  await resetUsers(page, ['110'], ['Password']);
  await expect(row(page, '110')).toContainText('Password Required');
  await expect(row(page, '110')).toContainText(email);

  const since = Date.now();
  await sendWelcome(page, ['110']);
  const mail = await waitForMail(testInfo, email, { subjectContains: WELCOME_SUBJECT, since });
  expect(mail.subject).toBe(WELCOME_SUBJECT);
  expect(mail.text).toContain('110@globex.example');
  expect(mail.text).toContain('globex.example');
  const link = linkIn(mail);
  expect(link).toMatch(/^\/password\/[^/]+$/);

  const person = await stranger(browser, baseURL);
  await person.goto(link);
  await expect(person.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await expect(person.getByText('110@globex.example')).toBeVisible();
  await choosePassword(person);
  await expect(person.getByRole('heading', { name: 'Password saved' })).toBeVisible();
  await expect(person.getByRole('status')).toContainText('Your password is set');

  // 110 is a Basic User: the sign-in is accepted, and the start page refuses the scope.
  await signIn(person, '110@globex.example', NEW_PASSWORD);
  await expect(person.getByText(SCOPE_REFUSAL)).toBeVisible();
  await expect(person).not.toHaveURL(/\/login/);
  await expect(person.getByRole('link', { name: 'Sign out' })).toBeVisible();
  await person.context().close();

  await page.reload();
  await expect(row(page, '110')).toContainText('Active');
  await expect(row(page, '110')).not.toContainText('Password Required');
});

test('Send Welcome Email skips a user without an e-mail address and says why', async ({ page }, testInfo) => {
  await signInToGlobex(page);
  const email = await emailOf(page, '118');
  await resetUsers(page, ['117'], ['E-mail']);
  await expect(row(page, '117')).not.toContainText('@');

  const since = Date.now();
  const dialog = await openBulkAction(page, ['117', '118']);
  await dialog.getByRole('button', { name: 'Send Welcome Email' }).click();
  await expect(dialog.getByText('Send a welcome e-mail to 1 users?')).toBeVisible();
  await expect(dialog.getByText('1 of the selected users have no e-mail address and will be skipped.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  // The line counts the users welcomed and names the skipped one; the table says why.
  await expect(dialog.getByText('1 of 2 users welcomed, 1 skipped')).toBeVisible();
  await expect(dialog.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2');
  const skipped = dialog.getByRole('row').filter({ hasText: '117' });
  await expect(skipped).toContainText('skipped');
  await expect(skipped).toContainText('No e-mail address.');
  await expect(dialog.getByRole('row').filter({ hasText: '118' })).toContainText('done');
  await dialog.getByRole('button', { name: 'Close' }).click();

  const mail = await waitForMail(testInfo, email, { subjectContains: WELCOME_SUBJECT, since });
  expect(mail.text).toContain('118@globex.example');
  expect(linkIn(mail)).toMatch(/^\/password\/[^/]+$/);
});

test('Force Password Reset signs the user out, demands a new password and mails a link', async ({ page, browser, baseURL }, testInfo) => {
  const person = await stranger(browser, baseURL);
  await signIn(person, '111@globex.example');
  await expect(person.getByText(SCOPE_REFUSAL)).toBeVisible();
  const signedInAt = person.url();

  await signInToGlobex(page);
  const email = await emailOf(page, '111');
  const since = Date.now();
  await forcePasswordReset(page, ['111']);
  await expect(row(page, '111')).toContainText('Password change pending');

  // The open session is over: the next page the user asks for is the sign-in page.
  await person.goto(signedInAt);
  await expect(person).toHaveURL(/\/login/);
  await expect(person.getByRole('button', { name: 'Sign in' })).toBeVisible();

  // The old password still signs in, but only to the forced change.
  await signIn(person, '111@globex.example', DEMO_PASSWORD);
  await expect(person.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await expect(person.getByLabel('New password')).toBeVisible();
  await expect(person.getByLabel('Confirm password')).toBeVisible();
  await person.goto('/domains/globex.example/users');
  await expect(person.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();

  const mail = await waitForMail(testInfo, email, { subjectContains: RESET_SUBJECT, since });
  expect(mail.text).toContain('111@globex.example');
  expect(linkIn(mail)).toMatch(/^\/password\/[^/]+$/);

  await person.getByLabel('New password').fill(NEW_PASSWORD);
  await person.getByLabel('Confirm password').fill(NEW_PASSWORD);
  await person.getByRole('button', { name: 'Save' }).click();
  await expect(person.getByText(SCOPE_REFUSAL)).toBeVisible();
  await person.context().close();
  await page.reload();
  await expect(row(page, '111')).not.toContainText('Password change pending');
});

test('the recycle form sends a welcome mail to the new address; its link opens the set-password page', async ({ page, browser, baseURL }, testInfo) => {
  await signInToGlobex(page);
  const dialog = await openBulkAction(page, ['113']);
  await dialog.getByRole('button', { name: 'Reset Users' }).click();
  await dialog.getByRole('checkbox', { name: 'Recycle Users' }).check();
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('1 of 1 users reset')).toBeVisible();
  await dialog.getByRole('button', { name: 'Next' }).click();

  const group = dialog.getByRole('group', { name: 'Extension 113' });
  await group.getByLabel('First Name').fill('Wanda');
  await group.getByLabel('Last Name').fill('Welcome');
  await group.getByLabel('E-mail', { exact: true }).fill('wanda.welcome@globex.example');
  const sendWelcome = dialog.getByRole('checkbox', { name: 'Send Welcome Email' });
  await expect(sendWelcome).not.toBeChecked();
  await sendWelcome.check();
  const since = Date.now();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('status')).toContainText('1 user was recycled.');
  await expect(dialog.getByRole('status')).toContainText('A welcome e-mail is on its way.');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(row(page, '113')).toContainText('Wanda Welcome');
  await expect(row(page, '113')).toContainText('Password Required');

  const mail = await waitForMail(testInfo, 'wanda.welcome@globex.example', { subjectContains: WELCOME_SUBJECT, since });
  expect(mail.text).toContain('Wanda Welcome');
  expect(mail.text).toContain('113@globex.example');

  const person = await stranger(browser, baseURL);
  const response = await person.goto(linkIn(mail));
  expect(response?.status()).toBe(200);
  await expect(person.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await expect(person.getByText('113@globex.example')).toBeVisible();
  await expectAccessible(person, 'the set-password page');

  // A run is no PIN; what was refused is marked, and nothing is saved.
  await choosePassword(person, NEW_PASSWORD, '1234');
  await expect(person.getByRole('alert')).toContainText('Nothing was saved');
  await expect(person.getByLabel('Voicemail PIN')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(person, 'the set-password page with an error');
  await choosePassword(person);
  await expect(person.getByRole('heading', { name: 'Password saved' })).toBeVisible();
  await person.context().close();
  await page.reload();
  await expect(row(page, '113')).toContainText('Active');
});

test('a used link says so and changes nothing; the reset link clears the pending change', async ({ page, browser, baseURL }, testInfo) => {
  await signInToGlobex(page);
  const email = await emailOf(page, '114');
  const since = Date.now();
  await forcePasswordReset(page, ['114']);
  const mail = await waitForMail(testInfo, email, { subjectContains: RESET_SUBJECT, since });
  const link = linkIn(mail);

  const person = await stranger(browser, baseURL);
  await person.goto(link);
  await expect(person.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await choosePassword(person);
  await expect(person.getByRole('heading', { name: 'Password saved' })).toBeVisible();
  await expectAccessible(person, 'the Password saved page');

  const again = await person.goto(link);
  expect(again?.status()).toBe(410);
  await expect(person.getByRole('heading', { name: 'This link has been used' })).toBeVisible();
  await expect(person.getByLabel('New password')).toHaveCount(0);
  await expectAccessible(person, 'the used-link page');

  // The password from the link works, and no second change is demanded.
  await signIn(person, '114@globex.example', NEW_PASSWORD);
  await expect(person.getByText(SCOPE_REFUSAL)).toBeVisible();
  await expect(person.getByRole('heading', { name: 'Choose a new password' })).toHaveCount(0);
  await person.context().close();
  await page.reload();
  await expect(row(page, '114')).not.toContainText('Password change pending');
  await expect(row(page, '114')).toContainText('Active');
});

test('the Confirm steps are accessible, and Back or Cancel there changes nothing', async ({ page }, testInfo) => {
  await signInToGlobex(page);
  const emails = [await emailOf(page, '115'), await emailOf(page, '116')];
  const since = Date.now();
  const dialog = await openBulkAction(page, ['115', '116']);
  await dialog.getByRole('button', { name: 'Send Welcome Email' }).click();
  await expect(dialog.getByRole('heading', { name: 'Send Welcome Email: confirm' })).toBeVisible();
  await expect(dialog.getByText('Send a welcome e-mail to 2 users?')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Back' })).toBeVisible();
  await expectAccessible(page, 'the Send Welcome Email Confirm step');

  await dialog.getByRole('button', { name: 'Back' }).click();
  await dialog.getByRole('button', { name: 'Force Password Reset' }).click();
  await expect(dialog.getByRole('heading', { name: 'Force Password Reset: confirm' })).toBeVisible();
  await expect(dialog.getByText('Make 2 users choose a new password?')).toBeVisible();
  await expectAccessible(page, 'the Force Password Reset Confirm step');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  await page.reload();
  for (const extension of ['115', '116']) {
    await expect(row(page, extension)).toContainText('Active');
    await expect(row(page, extension)).not.toContainText('Password change pending');
    // Cancel keeps the selection; let go of it for the next action.
    await expect(rowCheckbox(page, extension)).toBeChecked();
    await rowCheckbox(page, extension).uncheck();
  }
  // Nothing was mailed either: a welcome to someone else comes, theirs never did.
  await sendWelcome(page, ['122']);
  await waitForMail(testInfo, await emailOf(page, '122'), { subjectContains: WELCOME_SUBJECT, since });
  const theirs = readMails(testInfo).filter((mail) => emails.some((email) => mail.to.includes(email.toLowerCase())));
  expect(theirs).toEqual([]);
});

/** Presses Tab (or Shift+Tab) until `target` has focus. */
async function tabTo(page: Page, target: import('@playwright/test').Locator, backwards = false) {
  for (let i = 0; i < 120; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error('the control never received focus by Tab');
}

test('keyboard only: Send Welcome Email from selection to Close', async ({ page }, testInfo) => {
  await signInToGlobex(page);
  const email = await emailOf(page, '119');
  const since = Date.now();
  await tabTo(page, rowCheckbox(page, '119'));
  await page.keyboard.press('Space');
  const bulk = page.getByRole('button', { name: 'Bulk Action', exact: true });
  await tabTo(page, bulk, true);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Bulk Action' });
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Send Welcome Email' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('heading', { name: 'Send Welcome Email: confirm' })).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Confirm' }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByText('1 of 1 users welcomed')).toBeVisible();
  await tabTo(page, dialog.getByRole('button', { name: 'Close' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(bulk).toBeDisabled();
  await waitForMail(testInfo, email, { subjectContains: WELCOME_SUBJECT, since });
});
