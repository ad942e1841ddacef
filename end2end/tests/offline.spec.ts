// Offline-tolerant viewing: with the server stopped, a seen page reloads
// from the browser's caches with a banner; when the server is back, the
// stream resumes and what happened meanwhile appears, once.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

test('a seen thread reloads offline and catches up when the server returns', async ({ browser, playwright }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-offline-'));
  const thread = seedThread(dataDir, 2);
  let peon = await startPeon(dataDir);
  const port = Number(new URL(peon.url).port);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${peon.url}/threads/${thread}`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // A change seen live, after the page was rendered, is kept too.
    const api = await playwright.request.newContext();
    const rename = async (title: string) => {
      const response = await api.post(`${peon.url}/api/dispatch`, {
        data: { envelope: { command_id: crypto.randomUUID(), command: { type: 'thread.update', thread_id: thread, title } } },
      });
      expect(response.status()).toBe(200);
    };
    await rename('Seen live before the outage');
    await expect(page.getByTestId('thread-title')).toHaveText('Seen live before the outage');
    await page.waitForTimeout(1500); // the browser keeps what it saw at most once a second

    await peon.stop();
    await page.reload();
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await expect(page.getByTestId('thread-title')).toHaveText('Seen live before the outage');
    await expect(page.getByTestId('turn')).toHaveCount(2);
    await expect(page.getByTestId('message').filter({ hasText: 'Answer number 2' })).toBeVisible();
    await page.screenshot({ path: 'test-results/offline.png', fullPage: true });

    peon = await startPeon(dataDir, port);
    await rename('Renamed while the page was offline');
    await expect(page.getByTestId('thread-title')).toHaveText('Renamed while the page was offline', { timeout: 20_000 });
    await expect(page.getByTestId('offline-banner')).toHaveCount(0);
    // Nothing was applied twice.
    await expect(page.getByTestId('turn')).toHaveCount(2);
    await expect(page.getByTestId('message')).toHaveCount(4);
    await api.dispose();
  } finally {
    await context.close();
    await peon.stop();
  }
});

// With the server stopped, every route whose data the browser holds
// renders, by reload and by click, even pages this browser never loaded
// (the service worker's app shell starts the app, which renders from
// IndexedDB); a thread never opened here says so inside the normal shell.
test('every seen route reads offline, by reload and by click', async ({ browser, playwright }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-offline-routes-'));
  const seen = seedThread(dataDir, 2);
  const unseen = seedThread(dataDir, 1);
  const peon = await startPeon(dataDir);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const api = await playwright.request.newContext();
    const snapshot = await (await api.post(`${peon.url}/api/snapshot`)).json();
    const projectOf = (thread: string) => snapshot.threads.find((t: { id: string }) => t.id === thread).project_id;
    await api.dispose();

    await page.goto(`${peon.url}/threads/${seen}`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await expect(page.getByTestId('turn')).toHaveCount(2);
    await page.waitForTimeout(1500); // kept at most once a second
    await peon.stop();

    // Home was never loaded in this browser.
    await page.goto(`${peon.url}/`);
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await expect(page.getByTestId('project-card')).toHaveCount(2);

    // By click: a thread never opened says so, inside the app's shell.
    await page.locator(`a[href="/threads/${unseen}"]`).first().click();
    await expect(page.getByTestId('thread-not-offline')).toContainText('never opened in this browser');
    await expect(page.locator(`a[href="/projects/${projectOf(seen)}"]`).first()).toBeVisible();
    // ... and one opened before shows its turns.
    await page.locator(`a[href="/threads/${seen}"]`).first().click();
    await expect(page.getByTestId('turn')).toHaveCount(2);
    await expect(page.getByTestId('message').filter({ hasText: 'Answer number 2' })).toBeVisible();

    // By reload: a project page never loaded, and the unseen thread.
    await page.goto(`${peon.url}/projects/${projectOf(unseen)}`);
    await expect(page.getByTestId('project-page')).toBeVisible();
    await expect(page.getByTestId('thread-row')).toHaveCount(1);
    await page.goto(`${peon.url}/threads/${unseen}`);
    await expect(page.getByTestId('thread-not-offline')).toBeVisible();
    await expect(page.getByTestId('offline-banner')).toBeVisible();

    // Settings says what is kept, and forgets it on request.
    await page.goto(`${peon.url}/settings`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('offline-size')).toContainText('the pages of 1 thread(s)');
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('clear-offline').click();
    await expect(page.getByTestId('offline-size')).toHaveText('Nothing is kept in this browser.');
    await page.goto(`${peon.url}/`);
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await expect(page.getByTestId('project-card')).toHaveCount(0);
  } finally {
    await context.close();
    await peon.stop();
  }
});

// A server that comes back with another log (another data folder) is not
// the one the browser's copy came from: the page drops its copy for what
// the server has, instead of resuming numbers that mean nothing there.
test('a server back with another log replaces what the browser kept', async ({ browser }) => {
  const first = mkdtempSync(path.join(tmpdir(), 'peon-log-a-'));
  const before = seedThread(first, 2);
  let peon = await startPeon(first);
  const port = Number(new URL(peon.url).port);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const link = (id: string) => page.getByTestId('sidebar').locator(`a[href="/threads/${id}"]`);
    await expect(link(before)).toBeVisible();
    await page.waitForTimeout(1500); // kept at most once a second

    await peon.stop();
    await page.reload();
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await expect(link(before)).toBeVisible();

    const second = mkdtempSync(path.join(tmpdir(), 'peon-log-b-'));
    const after = seedThread(second, 3);
    peon = await startPeon(second, port);
    await expect(link(after)).toBeVisible({ timeout: 20_000 });
    await expect(link(before)).toHaveCount(0);
    await expect(page.getByTestId('offline-banner')).toHaveCount(0);
    await expect(page.getByTestId('sidebar-thread')).toHaveCount(1);
  } finally {
    await context.close();
    await peon.stop();
  }
});
