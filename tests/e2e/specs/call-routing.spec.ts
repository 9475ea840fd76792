// Call routing (SPEC "Call routing", "Reached from"): a dead end found from the Users
// page and fixed with Change destination by keyboard, what reaches a user listed on
// their edit page, axe on each page; writes the Call routing screenshot.
import { expect, test } from '@playwright/test';
import { expectAccessible } from '../helpers/a11y';
import { signInToAcme } from '../helpers/auth';

const ROUTING = '/domains/acme.example/routing';

test('a dead end is found from the Users page and fixed with Change destination, by keyboard', async ({ page }) => {
  await signInToAcme(page);
  await page.getByRole('link', { name: 'Call routing', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${ROUTING}$`));
  for (const name of ['Phone numbers', 'Auto attendants', 'Ring groups', 'Call queues']) {
    await expect(page.getByRole('table', { name })).toBeVisible();
  }
  await expectAccessible(page, 'the Call routing page');
  const line = () => page.getByRole('table', { name: 'Phone numbers' }).getByRole('row').filter({ hasText: '+12125550201' });

  // Sending the number to nobody makes a dead end.
  await line().getByRole('link', { name: 'Change destination' }).click();
  await expect(page.getByRole('heading', { name: /Change destination/ })).toBeVisible();
  await expectAccessible(page, 'Change destination');
  await page.getByLabel('Destination', { exact: true }).selectOption({ label: 'Nobody (dead end)' });
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('The destination was saved.')).toBeVisible();
  await expect(line().getByText('Dead end', { exact: true })).toBeVisible();

  // The Users page links to it, with Only dead ends checked.
  await page.goto('/domains/acme.example/users');
  const deadEnds = page.getByRole('link', { name: /^\d+ dead ends in call routing$/ });
  await deadEnds.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/routing\?dead_ends=1$/);
  await expect(page.getByRole('checkbox', { name: 'Only dead ends' })).toBeChecked();
  await expect(line().getByText('Dead end', { exact: true })).toBeVisible();
  await page.screenshot({ path: 'tests/e2e/screenshots/call-routing.png', fullPage: true });

  // Fixed by keyboard alone.
  await line().getByRole('link', { name: 'Change destination' }).focus();
  await page.keyboard.press('Enter');
  await page.getByLabel('Destination', { exact: true }).focus();
  await page.keyboard.type('Sales');
  await page.getByRole('button', { name: 'Save' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('The destination was saved.')).toBeVisible();
  await expect(line().getByRole('cell', { name: 'Sales (600)' })).toBeVisible();
  await expect(line().getByText('Dead end', { exact: true })).toHaveCount(0);
});

test('a user\'s edit page lists what reaches them', async ({ page }) => {
  await signInToAcme(page);
  await page.goto('/domains/acme.example/users/100');
  const reached = page.getByRole('region', { name: 'Reached from' });
  await expect(reached.getByRole('listitem')).toHaveText([
    'Main menu (500) key 0: 100 Amelia Khan',
    'Main menu (500) timeout: Voicemail of 100 Amelia Khan',
  ]);
  await expectAccessible(page, 'an edit page with Reached from');
});
