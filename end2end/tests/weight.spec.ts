// What each route costs a browser with an empty cache, in bytes as sent
// (compressed), and how long the first page takes to become interactive on
// a slow link (1.6 Mbit/s, 150 ms). The figures are written to
// test-results/weight.json and docs/BENCHMARKS.md; the only assertion is a
// ceiling on the first page's bytes (which are deterministic), so the
// client cannot quietly grow.
import { test, expect, Page, CDPSession } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

// Today's first page (the main WASM module; the thread, project and
// settings routes are chunks of their own), with a little room; issue 15's
// target is 250 KB. Raised from 340 KiB when queued and steered messages
// and token usage came (their events' decoding is in the main module; see
// docs/BENCHMARKS.md).
const FIRST_PAGE_CEILING = 344 * 1024;

/** Sums the bytes received (headers and compressed bodies) while `work` runs. */
async function bytesDuring(cdp: CDPSession, work: () => Promise<void>): Promise<number> {
  let total = 0;
  const count = (e: { encodedDataLength: number }) => (total += e.encodedDataLength);
  cdp.on('Network.loadingFinished', count);
  await work();
  await new Promise((r) => setTimeout(r, 500));
  cdp.off('Network.loadingFinished', count);
  return total;
}

async function fresh(browser: import('@playwright/test').Browser): Promise<[Page, CDPSession]> {
  // No service worker: it would fetch the whole shell besides the page.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  return [page, cdp];
}

test('bytes per route, and the first page on a slow link', async ({ browser }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-weight-'));
  const thread = seedThread(dataDir, 20);
  const peon = await startPeon(dataDir);
  try {
    const [page, cdp] = await fresh(browser);
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    const hydrated = () => expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const firstPage = await bytesDuring(cdp, async () => {
      await page.goto(peon.url + '/');
      await hydrated();
    });
    // The lazy routes are chunks of their own: `/` fetches none of them.
    // The build's files carry its version in their folder (cached for good).
    const wasm = fetched.filter((p) => p.endsWith('.wasm'));
    expect(wasm.filter((p) => /^\/pkg\/[0-9a-f]{16}\/peon_bg\.wasm$/.test(p))).toHaveLength(1);
    expect(wasm.filter((p) => p.includes('/split_'))).toEqual([]);
    await expect(page.locator('link[rel=preload][href*="split_"]')).toHaveCount(0);

    // The palette is a chunk of its own, fetched when first opened.
    expect(fetched.some((p) => p.includes('palette'))).toBe(false);
    await page.keyboard.press('Control+k');
    await expect(page.getByTestId('palette-input')).toBeVisible();
    expect(fetched.some((p) => /\/split_palette_body.*\.wasm$/.test(p))).toBe(true);

    const [threadPage, threadCdp] = await fresh(browser);
    const threadFetched: string[] = [];
    const threadFailed: string[] = [];
    threadPage.on('request', (r) => threadFetched.push(new URL(r.url()).pathname));
    threadPage.on('response', (r) => {
      if (r.status() >= 400) threadFailed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const thread20 = await bytesDuring(threadCdp, async () => {
      await threadPage.goto(`${peon.url}/threads/${thread}`);
      await expect(threadPage.locator('body')).toHaveAttribute('data-hydrated', 'true');
    });
    // A thread page fetches its route's chunk before it hydrates, named up
    // front in the page so it comes beside the main module, not after it.
    expect(threadFetched.some((p) => /^\/pkg\/[0-9a-f]{16}\/split_.*thread_route/.test(p))).toBe(true);
    const preloaded = await threadPage
      .locator('link[rel=preload][as=fetch]')
      .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
    expect(preloaded.some((p) => /\/split_.*thread_route.*\.wasm$/.test(p))).toBe(true);
    for (const p of preloaded) expect(threadFetched).toContain(p);
    expect(threadFailed, 'every preloaded file exists').toEqual([]);
    await expect(threadPage.getByTestId('turn')).toHaveCount(20);
    const terminal = await bytesDuring(threadCdp, async () => {
      await threadPage.getByTestId('terminal-toggle').click();
      await expect(threadPage.locator('.xterm')).toBeVisible();
    });

    const [slow, slowCdp] = await fresh(browser);
    await slowCdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 150,
      downloadThroughput: (1.6 * 1024 * 1024) / 8,
      uploadThroughput: (768 * 1024) / 8,
    });
    const started = Date.now();
    await slow.goto(peon.url + '/');
    await expect(slow.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 60_000 });
    const interactiveMs = Date.now() - started;

    const figures = {
      first_page_bytes: firstPage,
      thread_page_20_turns_bytes: thread20,
      terminal_opened_extra_bytes: terminal,
      first_page_interactive_ms_at_1_6_mbit_150_ms: interactiveMs,
    };
    console.log(JSON.stringify(figures));
    writeFileSync('test-results/weight.json', JSON.stringify(figures, null, 2));
    expect(firstPage).toBeLessThan(FIRST_PAGE_CEILING);
  } finally {
    await peon.stop();
  }
});
