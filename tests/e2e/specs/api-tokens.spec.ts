// API tokens (SPEC 5, "API — /api/v1"): the API tokens page linked from the header
// makes a token whose secret is shown once, lists the user's tokens with when each was
// last used, and revokes them; a live token opens /api/v1 without a session, a revoked
// one is refused with a problem document. By mouse and by keyboard alone.
// Tokens are made by the office manager of globex.example (the specs that change data
// work there), under names unique per project, and every token made is revoked.
import { APIResponse, expect, Locator, Page, request, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToGlobex } from '../helpers/auth';
import { isFocused, tabUntil } from '../helpers/keyboard';

const TOKENS = '/account/tokens';
const DOMAIN = 'globex.example';
const COLUMNS = ['Name', 'Created (UTC)', 'Expires (UTC)', 'Last used (UTC)'];
/** How the page writes a time: 2026-12-01 10:00:00 UTC. */
const MOMENT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?( UTC)?$/;

/** A token name of this test's own in this project's database. */
function tokenName(label: string): string {
  return `${label} (${test.info().project.name})`;
}

function revokeButton(page: Page, name: string): Locator {
  return page.getByRole('button', { name: `Revoke ${name}`, exact: true });
}

function tokenRow(page: Page, name: string): Locator {
  return page.getByRole('row').filter({ has: revokeButton(page, name) });
}

/** The text of one column of a token's row, found by the column's heading. */
async function cellOf(page: Page, name: string, column: string): Promise<string> {
  const headings = (await page.getByRole('columnheader').allInnerTexts()).map((text) => text.trim());
  const index = headings.indexOf(column);
  expect(index, `a column "${column}" in ${JSON.stringify(headings)}`).toBeGreaterThanOrEqual(0);
  const row = tokenRow(page, name);
  await expect(row).toHaveCount(1);
  return (await row.locator(':scope > td, :scope > th').nth(index).innerText()).trim();
}

async function openTokensPage(page: Page) {
  await page.getByRole('banner').getByRole('link', { name: 'API tokens', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/tokens$/);
  await expect(page.getByRole('heading', { level: 1, name: 'API tokens' })).toBeVisible();
}

/** Fills the form and presses Create token; returns the status the POST was answered with. */
async function submitToken(page: Page, name: string, days?: string): Promise<number> {
  await page.getByLabel('Token name').fill(name);
  if (days !== undefined) await page.getByLabel('Expires in days').fill(days);
  const answered = page.waitForResponse(
    (response) => response.request().method() === 'POST' && new URL(response.url()).pathname === TOKENS,
  );
  await page.getByRole('button', { name: 'Create token' }).click();
  const status = (await answered).status();
  // The POST answers the page itself: no redirect.
  await expect(page).toHaveURL(/\/account\/tokens$/);
  return status;
}

/** Creates a token and returns its secret, read from the page that shows it this once. */
async function createToken(page: Page, name: string): Promise<string> {
  expect(await submitToken(page, name)).toBe(200);
  await expect(page.getByRole('heading', { name: 'Your new token' })).toBeVisible();
  await expect(page.getByText(/it is not shown again/)).toBeVisible();
  const secret = (await page.locator('#new-token').innerText()).trim();
  expect(secret).toMatch(/^pbx_\S+$/);
  return secret;
}

async function revoke(page: Page, name: string) {
  await revokeButton(page, name).click();
  await expect(page).toHaveURL(/\/account\/tokens$/);
  await expect(page.getByRole('status')).toHaveText(`Token ${name} was revoked.`);
  await expect(revokeButton(page, name)).toHaveCount(0);
}

/** GET /api/v1/domains as a script would: the token and nothing else (no cookies). */
async function listDomains(baseURL: string | undefined, secret: string): Promise<{ response: APIResponse; body: unknown }> {
  const api = await request.newContext({ baseURL });
  try {
    const response = await api.get('/api/v1/domains', { headers: { Authorization: `Bearer ${secret}` } });
    const body: unknown = await response.json().catch(() => undefined);
    return { response, body };
  } finally {
    await api.dispose();
  }
}

/** The domain names of a /api/v1/domains answer (each given as a name or an object). */
function domainNames(body: unknown): string[] {
  const domains = (body as { domains?: unknown }).domains;
  expect(Array.isArray(domains), `a "domains" array in ${JSON.stringify(body)}`).toBe(true);
  return (domains as unknown[]).map((domain) =>
    typeof domain === 'string' ? domain : String((domain as { name?: string; domain?: string }).name ?? (domain as { domain?: string }).domain),
  );
}

async function expectFieldError(field: Locator, message: string) {
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toHaveAccessibleDescription(message);
}

test('the header links every signed-in page to the API tokens page', async ({ page }) => {
  await signInToGlobex(page);
  for (const path of [`/domains/${DOMAIN}/users`, `/domains/${DOMAIN}/jobs`, '/account/sessions', TOKENS]) {
    await page.goto(path);
    const link = page.getByRole('banner').getByRole('link', { name: 'API tokens', exact: true });
    await expect(link, `the header of ${path}`).toHaveAttribute('href', TOKENS);
  }
});

test('a token made on the page opens the API until it is revoked', async ({ page, baseURL }) => {
  const name = tokenName('Nightly export');
  await signInToGlobex(page);
  await openTokensPage(page);

  const field = page.getByLabel('Token name');
  await expect(field).toHaveAttribute('type', 'text');
  await expect(field).toHaveAttribute('name', 'name');
  const days = page.getByLabel('Expires in days');
  await expect(days).toHaveAttribute('type', 'number');
  await expect(days).toHaveAttribute('name', 'expires_in_days');
  await expect(days).toHaveAttribute('min', '1');
  await expect(days).toHaveAttribute('max', '365');
  await expect(days).toHaveValue('90');
  await expect(page.getByRole('button', { name: 'Create token' })).toBeVisible();
  await expectAccessible(page, 'the API tokens page');

  const secret = await createToken(page, name);
  await expectAccessible(page, 'the API tokens page showing a new token');
  await page.screenshot({ path: 'tests/e2e/screenshots/api-tokens.png', fullPage: true });
  for (const column of COLUMNS) {
    await expect(page.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
  }
  expect(await cellOf(page, name, 'Name')).toContain(name);
  expect(await cellOf(page, name, 'Created (UTC)')).toMatch(MOMENT);
  expect(await cellOf(page, name, 'Expires (UTC)')).toMatch(MOMENT);
  expect(await cellOf(page, name, 'Last used (UTC)')).toBe('Never');

  // A script with the token alone (a request context of its own, no cookies).
  const used = await listDomains(baseURL, secret);
  expect(used.response.status()).toBe(200);
  expect(used.response.headers()['content-type']).toMatch(/^application\/json/);
  expect(domainNames(used.body)).toContain(DOMAIN);

  // The API takes no session cookie: the signed-in browser's own request is refused.
  const withCookie = await page.request.get('/api/v1/domains');
  expect(withCookie.status()).toBe(401);

  // The secret was shown once; the row now says when the token was used.
  await page.goto(TOKENS);
  await expect(page.getByRole('heading', { name: 'Your new token' })).toHaveCount(0);
  await expect(page.locator('#new-token')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  const lastUsed = await cellOf(page, name, 'Last used (UTC)');
  expect(lastUsed).not.toBe('Never');
  expect(lastUsed).toMatch(MOMENT);

  await revoke(page, name);
  const refused = await listDomains(baseURL, secret);
  expect(refused.response.status()).toBe(401);
  expect(refused.response.headers()['content-type']).toMatch(/^application\/problem\+json/);
  expect((refused.body as { status?: number }).status).toBe(401);
});

test('the form refuses no name, a name in use and days out of range, saying why', async ({ page }) => {
  const name = tokenName('Provisioning');
  await signInToGlobex(page);
  await openTokensPage(page);
  const field = page.getByLabel('Token name');
  const days = page.getByLabel('Expires in days');

  expect(await submitToken(page, '')).toBe(422);
  await expectFieldError(field, 'Give the token a name.');
  await expect(page.getByRole('heading', { name: 'Your new token' })).toHaveCount(0);
  await expectAccessible(page, 'the API tokens page with an error');

  for (const wrong of ['0', '366', '1.5']) {
    expect(await submitToken(page, name, wrong), `Expires in days ${wrong}`).toBe(422);
    await expectFieldError(days, 'Expires in days is a whole number from 1 to 365.');
    await expect(field).toHaveValue(name);
    await expect(revokeButton(page, name)).toHaveCount(0);
  }

  await days.fill('30');
  await createToken(page, name);
  expect(await submitToken(page, name, '30')).toBe(422);
  await expectFieldError(field, `You already have a token called ${name}.`);
  await expect(field).toHaveValue(name);
  await expect(page.locator('#new-token')).toHaveCount(0);
  await expect(tokenRow(page, name)).toHaveCount(1);

  await revoke(page, name);
});

test('keyboard only: open the page, create a token and revoke it', async ({ page }) => {
  const name = tokenName('Keyboard');
  await signInToGlobex(page);

  const link = page.getByRole('banner').getByRole('link', { name: 'API tokens', exact: true });
  await tabUntil(page, isFocused(link));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account\/tokens$/);

  const field = page.getByLabel('Token name');
  await tabUntil(page, isFocused(field));
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Expires in days')).toBeFocused();
  const create = page.getByRole('button', { name: 'Create token' });
  await tabUntil(page, isFocused(create));
  expect(await create.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Your new token' })).toBeVisible();
  await expect(page.locator('#new-token')).toHaveText(/^pbx_/);

  const button = revokeButton(page, name);
  await tabUntil(page, isFocused(button));
  expect(await button.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toHaveText(`Token ${name} was revoked.`);
  await expect(button).toHaveCount(0);
});
