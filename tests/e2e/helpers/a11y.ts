// The accessibility scan every page and dialog step gets: no serious or critical
// axe-core violation of WCAG 2 A/AA.
import AxeBuilder from '@axe-core/playwright';
import { expect, Page } from '@playwright/test';

export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((n) => n.target.join(' ')).join('; ')})`);
  expect(serious, `accessibility of ${what}`).toEqual([]);
}
