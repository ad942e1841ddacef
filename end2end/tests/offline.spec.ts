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
