// The sidebar tells what each thread is doing and which finished since this
// browser last looked (kept in local storage), and keeps archived threads
// behind a toggle.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

test('unread until opened, remembered across reloads; archived behind a toggle', async ({ browser, playwright }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-sidebar-'));
  const looked = seedThread(dataDir, 2);
  const behind = seedThread(dataDir, 2);
  const peon = await startPeon(dataDir);
  try {
    // A fresh browser counts everything as seen: nothing is unread.
    const first = await browser.newContext();
    const page0 = await first.newPage();
    await page0.goto(peon.url + '/');
    await expect(page0.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page0.getByTestId('sidebar-thread')).toHaveCount(2);
    await expect(page0.locator('[data-testid="sidebar-thread"][data-unread="true"]')).toHaveCount(0);
    await first.close();

    // This browser last looked at `behind` when it had one turn.
    const context = await browser.newContext();
    await context.addInitScript(
      ([looked, behind]) => {
        if (!localStorage.getItem('peon.seen')) localStorage.setItem('peon.seen', JSON.stringify({ [looked]: 2, [behind]: 1 }));
      },
      [looked, behind],
    );
    const page = await context.newPage();
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const row = (id: string) => page.locator(`[data-testid="sidebar-thread"]:has(a[href="/threads/${id}"])`);
    await expect(row(behind)).toHaveAttribute('data-unread', 'true');
    await expect(row(looked)).toHaveAttribute('data-unread', 'false');
    await expect(row(behind)).toHaveAttribute('data-state', 'idle');

    await row(behind).getByRole('link').click();
    await expect(page.getByTestId('thread-title')).toBeVisible();
    await expect(row(behind)).toHaveAttribute('data-unread', 'false');
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(row(behind)).toHaveAttribute('data-unread', 'false');
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('peon.seen') ?? '{}'));
    expect(kept[behind]).toBe(2);

    // Archived: hidden until asked for, live.
    const api = await playwright.request.newContext();
    const archive = await api.post(`${peon.url}/api/dispatch`, {
      data: { envelope: { command_id: crypto.randomUUID(), command: { type: 'thread.archive', thread_id: looked } } },
    });
    expect(archive.status()).toBe(200);
    await expect(row(looked)).toBeHidden();
    await expect(page.getByTestId('sidebar-show-archived')).toHaveText('1 archived');
    await page.getByTestId('sidebar-show-archived').click();
    await expect(row(looked)).toBeVisible();
    await expect(page.getByTestId('sidebar-show-archived')).toHaveText('Hide archived');
    await page.getByTestId('sidebar-show-archived').click();
    await expect(row(looked)).toBeHidden();
    await api.dispose();
    await context.close();
  } finally {
    await peon.stop();
  }
});
