// The composer keeps a draft per thread: text typed before the WASM has
// taken over the server-rendered page is kept, and so is a draft across a
// reload, online or offline; it goes once the server accepts the message.
import { test, expect, Browser } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread, Peon } from './peon';

test('a draft survives hydration and reloads, offline too, and goes when sent', async ({ browser }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-drafts-'));
  const thread = seedThread(dataDir, 1);
  let peon = await startPeon(dataDir);
  try {
    await hydrationKeepsTheText(browser, peon.url, thread);
    peon = await offlineAndBack(browser, peon, dataDir, thread);
  } finally {
    await peon.stop();
  }
});

async function hydrationKeepsTheText(browser: Browser, url: string, thread: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // Hold the WASM back, so the text goes into the page as the server
    // rendered it, before the app starts.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/*.wasm', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${url}/threads/${thread}`);
    const input = page.getByTestId('composer-input');
    await input.fill('typed before the app started');
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    release();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(input).toHaveValue('typed before the app started');
    await page.unroute('**/*.wasm');

    await input.fill('kept across a reload');
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(input).toHaveValue('kept across a reload');
  } finally {
    await context.close();
  }
}

// A context of its own: routing requests keeps a service worker from
// taking over. Returns the restarted peon.
async function offlineAndBack(browser: Browser, first: Peon, dataDir: string, thread: string): Promise<Peon> {
  const port = Number(new URL(first.url).port);
  const context = await browser.newContext();
  const page = await context.newPage();
  let peon = first;
  try {
    await page.goto(`${peon.url}/threads/${thread}`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const input = page.getByTestId('composer-input');
    await input.fill('a draft to keep');
    await peon.stop();
    await page.reload();
    await expect(page.getByTestId('offline-banner')).toBeVisible();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(input).toHaveValue('a draft to keep');

    peon = await startPeon(dataDir, port);
    await expect(page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 20_000 });
    await input.press('Enter');
    await expect(input).toHaveValue('');
    await expect(page.getByTestId('message').filter({ hasText: 'a draft to keep' })).toBeVisible();
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(input).toHaveValue('');
    return peon;
  } finally {
    await context.close();
  }
}
