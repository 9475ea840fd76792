// Sessions end for real (SPEC 5, "Everywhere"): a cookie copied before Sign out opens
// nothing after it; the Sessions page signs out one browser or every one; an office
// manager's End sessions on a user's edit page signs that user out at once; Sign out
// everywhere also revokes the API tokens the page lists (a stolen session is not a
// lasting key).
import { Browser, expect, Page, request, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signIn, signInToAcme } from '../helpers/auth';
import { ACME_USERS } from '../helpers/users';

/** What the portal calls the Chromium these tests drive. */
const DEVICE = 'Headless Chrome on Linux';

/** A browser context of its own (its own cookies), e.g. a second computer. */
async function otherBrowser(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}

/** The rows of the Sessions page: each has its own Sign out {device} button. */
function sessionRows(page: Page) {
  return page.getByRole('row').filter({ has: page.getByRole('button', { name: /^Sign out .+/ }) });
}

async function openSessionsPage(page: Page) {
  await page.getByRole('link', { name: 'Sessions', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.getByRole('heading', { name: 'Your sessions' })).toBeVisible();
}

async function expectSignInPage(page: Page) {
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel('Login')).toBeVisible();
}

test('a copy of the session cookie taken before Sign out opens nothing after it', async ({ page, context, browser, baseURL }) => {
  await signInToAcme(page);
  const copied = await context.cookies();
  expect(copied.length).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectSignInPage(page);

  const thief = await otherBrowser(browser, baseURL);
  await thief.context().addCookies(copied);
  await thief.goto(ACME_USERS);
  await expectSignInPage(thief);
  await expect(thief.getByRole('table')).toHaveCount(0);
  await thief.context().close();
});

test('the Sessions page signs out the other browser, then every one', async ({ page, browser, baseURL }) => {
  // Earlier specs leave 100@acme.example signed in elsewhere: start from no session.
  await signInToAcme(page);
  await openSessionsPage(page);
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expectSignInPage(page);

  // This browser signs in first, so its device name is numbered (1), the other's (2).
  await signInToAcme(page);
  const second = await otherBrowser(browser, baseURL);
  await signInToAcme(second);

  await openSessionsPage(page);
  await expectAccessible(page, 'the Sessions page');
  const rows = sessionRows(page);
  await expect(rows).toHaveCount(2);
  const mine = rows.filter({ hasText: 'This browser' });
  const theirs = rows.filter({ hasNotText: 'This browser' });
  await expect(mine).toHaveCount(1);
  await expect(theirs).toHaveCount(1);
  await expect(mine.getByRole('button', { name: `Sign out ${DEVICE} (1)`, exact: true })).toBeVisible();
  await expect(theirs.getByRole('button', { name: `Sign out ${DEVICE} (2)`, exact: true })).toBeVisible();

  await theirs.getByRole('button', { name: `Sign out ${DEVICE} (2)`, exact: true }).click();
  await expect(page).toHaveURL(/\/account\/sessions$/);
  await expect(page.getByRole('status')).toHaveText('That session was signed out.');
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText('This browser');
  // Alone again, the device name needs no number.
  await expect(rows.getByRole('button', { name: `Sign out ${DEVICE}`, exact: true })).toBeVisible();
  await expectAccessible(page, 'the Sessions page after signing one out');

  await second.goto(ACME_USERS);
  await expectSignInPage(second);
  await second.context().close();

  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expectSignInPage(page);
  await page.goto('/account/sessions');
  await expectSignInPage(page);
});

test("an office manager ends another user's sessions from the edit page", async ({ page, browser, baseURL }) => {
  const person = await otherBrowser(browser, baseURL);
  // 102 is a Site Manager: the start page refuses its scope, its own Sessions page does not.
  await signIn(person, '102@acme.example');
  await expect(person.getByText('Managing users needs the Office Manager scope or higher.')).toBeVisible();
  await person.goto('/account/sessions');
  await expect(person.getByRole('heading', { name: 'Your sessions' })).toBeVisible();
  await expect(sessionRows(person)).toHaveCount(1);

  await signInToAcme(page);
  await page.getByRole('link', { name: '102', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Edit user 102' })).toBeVisible();
  const sessions = page.getByRole('region', { name: 'Sessions' });
  await expect(sessions).toContainText('1 open session.');
  await expectAccessible(page, 'the edit page with its Sessions section');

  await sessions.getByRole('button', { name: 'End sessions' }).click();
  await expect(page).toHaveURL(/\/domains\/acme\.example\/users\/102$/);
  await expect(page.getByRole('status')).toHaveText('1 session of user 102 was ended.');
  await expect(sessions).toContainText('0 open sessions.');

  await person.reload();
  await expectSignInPage(person);
  await person.context().close();
});

/** The status GET /api/v1/domains answers a script that sends `secret` and no cookie. */
async function apiStatus(baseURL: string | undefined, secret: string): Promise<number> {
  const api = await request.newContext({ baseURL });
  try {
    const response = await api.get('/api/v1/domains', { headers: { Authorization: `Bearer ${secret}` } });
    return response.status();
  } finally {
    await api.dispose();
  }
}

test('Sign out everywhere also revokes the API tokens it lists', async ({ page, baseURL }) => {
  await signInToAcme(page);
  // A token made from this session, as a thief holding a copy of it could have.
  const name = `made elsewhere (${test.info().project.name})`;
  await page.getByRole('banner').getByRole('link', { name: 'API tokens', exact: true }).click();
  await page.getByLabel('Token name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.locator('#new-token').innerText()).trim();
  expect(secret).toMatch(/^pbx_\S+$/);
  expect(await apiStatus(baseURL, secret)).toBe(200);

  await openSessionsPage(page);
  const tokens = page.getByRole('region', { name: 'API tokens' });
  await expect(tokens.getByRole('cell', { name, exact: true })).toBeVisible();
  const revokeToo = page.getByRole('checkbox', { name: 'Also revoke API tokens' });
  await expect(revokeToo).toBeChecked();
  await expectAccessible(page, 'the Sessions page with its API tokens');
  await page.screenshot({ path: 'tests/e2e/screenshots/sessions.png', fullPage: true });

  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expectSignInPage(page);
  expect(await apiStatus(baseURL, secret)).toBe(401);
});
