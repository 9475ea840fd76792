// The API's description (SPEC 5, "API — /api/v1"): /api/openapi.json is a valid
// OpenAPI 3.1 document naming every route and the bearer scheme, public; /api/docs
// renders it with Redoc, public, under the page's Content-Security-Policy, asking
// nothing of any other origin.
import { compileErrors, validate } from '@readme/openapi-parser';
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';

const API_PATHS = [
  '/api/v1/domains',
  '/api/v1/domains/{domain}/users',
  '/api/v1/domains/{domain}/users/{extension}',
  '/api/v1/domains/{domain}/jobs',
  '/api/v1/jobs/{id}',
  '/api/v1/jobs/{id}/stop',
  '/api/v1/jobs/{id}/retry',
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface SecurityScheme {
  type?: string;
  scheme?: string;
}
type Requirement = Record<string, string[]>;
interface Operation {
  security?: Requirement[];
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  security?: Requirement[];
  components?: { securitySchemes?: Record<string, SecurityScheme> };
}

test('/api/openapi.json is a valid OpenAPI 3.1 document of the API, open to anyone', async ({ request }) => {
  // The `request` fixture has no cookies: no one is signed in.
  const response = await request.get('/api/openapi.json');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^application\/json/);
  const doc = (await response.json()) as OpenApiDocument;
  expect(doc.openapi.startsWith('3.1'), `openapi is ${doc.openapi}`).toBe(true);

  // The validator dereferences what it is given in place: give it a copy.
  const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
  expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  expect(result.warnings).toEqual([]);

  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(API_PATHS));

  const schemes = doc.components?.securitySchemes ?? {};
  const bearer = Object.keys(schemes).filter(
    (name) => schemes[name].type === 'http' && schemes[name].scheme?.toLowerCase() === 'bearer',
  );
  expect(bearer, 'an http bearer scheme in components.securitySchemes').not.toEqual([]);

  // Every operation under /api/v1 asks for it (on the operation, or for the whole document).
  const unguarded: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const security = operation.security ?? doc.security ?? [];
      if (!security.some((requirement) => bearer.some((name) => name in requirement))) {
        unguarded.push(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  expect(unguarded, 'operations without the bearer scheme').toEqual([]);
});

test('/api/docs renders the document with nothing from another origin and no CSP violation', async ({ page, request, baseURL }) => {
  const doc = (await (await request.get('/api/openapi.json')).json()) as OpenApiDocument;
  const origin = new URL(baseURL!).origin;

  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  // blob: URLs (Redoc's search worker) belong to the origin that made them; data: URLs
  // fetch nothing.
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'}`);
    });
  });

  // No one is signed in.
  const response = await page.goto('/api/docs');
  expect(response?.status()).toBe(200);
  await expect(page).toHaveURL(/\/api\/docs$/);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-eval');
  await expect(page).toHaveTitle('pbx-portal API');

  // Redoc fetched the document and rendered it: its title is the page's heading.
  await expect(page.getByRole('heading', { name: doc.info.title }).first()).toBeVisible({ timeout: 15_000 });
  await expectAccessible(page, 'the API docs');

  // Search runs in a worker of Redoc's own (a blob: URL): every operation's path starts
  // with /api, so searching "api" lists operations.
  await page.getByRole('search').getByRole('textbox', { name: 'Search' }).fill('api');
  await expect(page.getByRole('search').getByRole('menuitem').first()).toBeVisible();

  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  expect(violations, 'Content-Security-Policy violations').toEqual([]);
  expect(errors, 'console errors').toEqual([]);
  const elsewhere = requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
  expect(elsewhere, `requests to origins other than ${origin}`).toEqual([]);
  expect(requests).toContain(`${origin}/api/openapi.json`);
});
