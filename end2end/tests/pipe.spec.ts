// The whole pipe: SSR HTML, hydration, a server function reading SQLite.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, Peon } from './peon';

let peon: Peon;
test.beforeAll(async () => {
  peon = await startPeon();
});
test.afterAll(async () => {
  await peon.stop();
});

test('home page is server-rendered, hydrates, and a click reaches SQLite', async ({ page, request }) => {
  // Before any script: the HTML itself carries the page.
  const html = await (await request.get(peon.url + '/')).text();
  expect(html).toContain('Projects');
  expect(html).toContain('No projects yet');

  await page.goto(peon.url + '/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  const folder = mkdtempSync(path.join(tmpdir(), 'peon-project-'));
  await page.getByTestId('project-path').fill(folder);
  await page.getByTestId('add-project').click();
  const card = page.getByTestId('project-card');
  await expect(card).toHaveCount(1);
  await expect(card).toContainText(path.basename(folder));

  // The settings page asks the server, which reads the event log.
  await page.goto(peon.url + '/settings');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('refresh-info').click();
  await expect(page.getByTestId('event-count')).toHaveText('1');
  await page.screenshot({ path: 'test-results/settings.png', fullPage: true });
});

test('a folder that does not exist is refused with a clear message', async ({ page }) => {
  await page.goto(peon.url + '/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByTestId('project-path').fill('/no/such/folder/anywhere');
  await page.getByTestId('add-project').click();
  await expect(page.getByTestId('form-error')).toContainText('does not exist');
});

test('unknown routes and ids get a not-found page with status 404', async ({ request }) => {
  const missing = await request.get(peon.url + '/threads/00000000-0000-0000-0000-000000000000');
  expect(missing.status()).toBe(404);
  expect(await missing.text()).toContain('Not found');
  const route = await request.get(peon.url + '/no/such/page');
  expect(route.status()).toBe(404);
});
