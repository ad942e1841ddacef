// The command palette (Ctrl+K): jump to a thread by a fuzzy title, run an
// action, and search every message, landing on the turn it was in even in
// a 5,000-turn thread; `?turn=N` with "first turn" and "latest turns".
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

// Without the service worker, so a test can hold the palette's chunk back.
test.use({ serviceWorkers: 'block' });

test('Ctrl+K jumps to a thread by a fuzzy title and runs actions', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-palette-'));
  const short = seedThread(dataDir, 2);
  seedThread(dataDir, 3);
  const peon = await startPeon(dataDir);
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('palette')).toHaveCount(0);
    await page.keyboard.press('Control+k');
    const palette = page.getByTestId('palette');
    await expect(palette).toBeVisible();
    await expect(page.getByTestId('palette-input')).toBeFocused();
    // Letters in order, not a substring: "thr 2" finds "A thread of 2 turns".
    await page.keyboard.type('thr of 2');
    const first = page.getByTestId('palette-result').first();
    await expect(first).toHaveAttribute('data-kind', 'thread');
    await expect(first).toContainText('A thread of 2 turns');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/threads/${short}$`));
    await expect(palette).toHaveCount(0);
    await page.screenshot({ path: 'test-results/palette-jumped.png' });

    // Actions: the theme flips and is kept across a reload; Escape closes.
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme ?? '');
    const before = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
    await page.keyboard.press('Control+k');
    await page.keyboard.type('theme');
    await expect(page.getByTestId('palette-result').first()).toHaveAttribute('data-kind', 'action');
    await page.keyboard.press('Enter');
    await expect.poll(theme).toBe(before ? 'light' : 'dark');
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    expect(await theme()).toBe(before ? 'light' : 'dark');
    await page.keyboard.press('Meta+k');
    await expect(palette).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(palette).toHaveCount(0);

    // The terminal opens from the palette as with Ctrl+`.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('terminal');
    await page.keyboard.press('Enter');
    await expect(page.locator('.xterm')).toBeVisible();
    await page.keyboard.press('Control+k');
    await page.keyboard.type('settings');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/settings$/);
  } finally {
    await peon.stop();
  }
});

test('a chunk that cannot load is named, and the page goes on working', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-chunk-'));
  seedThread(dataDir, 1);
  const peon = await startPeon(dataDir);
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.route('**/split_palette_body*', (route) => route.abort());
    await page.keyboard.press('Control+k');
    await expect(page.getByTestId('palette').getByTestId('chunk-error')).toContainText('could not be loaded');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('palette')).toHaveCount(0);
    // Still alive: another chunk loads, links navigate.
    await page.keyboard.press('?');
    await expect(page.getByTestId('shortcuts-help').getByTestId('keybinding').first()).toBeVisible();
    await page.keyboard.press('Escape');
    await page.getByTestId('sidebar-thread').first().locator('a').click();
    await expect(page.getByTestId('composer')).toBeVisible();
    // And the palette loads on the next try.
    await page.unroute('**/split_palette_body*');
    await page.keyboard.press('Control+k');
    await page.keyboard.type('settings');
    await expect(page.getByTestId('palette-result').first()).toContainText('Open settings');
  } finally {
    await peon.stop();
  }
});

test('search lands on turn 12 of 5,000; ?turn=1 and the first/latest controls', async ({ page }) => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-palette-long-'));
  const thread = seedThread(dataDir, 5000);
  const peon = await startPeon(dataDir);
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    // Typed before the palette's chunk arrives (held back here): the text
    // is kept and searched once it does.
    await page.route('**/split_palette_body*', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await page.keyboard.press('Control+k');
    await page.keyboard.type('question number 12 ');
    await expect(page.getByTestId('palette-input')).toHaveValue('question number 12 ');
    const hit = page.locator('[data-testid=palette-result][data-kind=message]');
    await expect(hit).toHaveCount(1);
    await expect(hit).toContainText('turn 12');
    await expect(hit.locator('mark')).toHaveText(['Question', 'number', '12']);
    await page.screenshot({ path: 'test-results/palette-search.png' });
    // Down past the thread title matches to the hit, then Enter.
    for (let i = 0; i < 20; i++) {
      if ((await hit.getAttribute('aria-selected')) === 'true') break;
      await page.keyboard.press('ArrowDown');
    }
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`/threads/${thread}\\?turn=12$`));
    const target = page.locator('[data-testid=turn][data-turn="12"]');
    await expect(target).toBeVisible();
    await expect(target).toHaveAttribute('data-target', 'true');
    await expect(page.getByTestId('turn').first()).toHaveAttribute('data-turn', '9');

    // Turn 1 of 5,000 by its address, server-rendered: no scrolling back.
    const started = Date.now();
    await page.getByTestId('turn-first').click();
    await expect(page).toHaveURL(new RegExp(`\\?turn=1$`));
    await expect(page.getByTestId('turn').first()).toHaveAttribute('data-turn', '1');
    const firstTurnMs = Date.now() - started;
    console.log(JSON.stringify({ turn_1_of_5000_ms: firstTurnMs }));
    const html = await (await fetch(`${peon.url}/threads/${thread}?turn=1`)).text();
    expect(html).toContain('data-turn="1"');
    expect(html).not.toContain('data-turn="5000"');

    // The window grows downward as the reader scrolls, and offers the
    // latest turns.
    const turns = page.getByTestId('turn');
    const count = await turns.count();
    await expect(page.getByTestId('load-newer')).toBeVisible();
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expect.poll(() => turns.count()).toBeGreaterThan(count);
    await expect(turns.nth(count)).toHaveAttribute('data-turn', String(count + 1));
    await page.getByTestId('turn-latest').click();
    await expect(page).toHaveURL(new RegExp(`/threads/${thread}$`));
    await expect(turns.last()).toHaveAttribute('data-turn', '5000');
    await expect(page.getByTestId('load-newer')).toHaveCount(0);

    // A message sent while reading turn 1 goes to the end, and so does
    // the page (the turn fails at once: no agent here).
    await page.goto(`${peon.url}/threads/${thread}?turn=1`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(turns.first()).toHaveAttribute('data-turn', '1');
    await page.getByTestId('composer-input').fill('a word from turn one');
    await page.getByTestId('composer-input').press('Enter');
    await expect(page).toHaveURL(new RegExp(`/threads/${thread}$`));
    await expect(turns.last()).toHaveAttribute('data-turn', '5001');
    await expect(turns.last()).toContainText('a word from turn one');

    // A long list scrolls with the selection: Up from the first row is the
    // last, brought into view.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('question');
    const rows = page.getByTestId('palette-result');
    await expect(page.locator('[data-testid=palette-result][data-kind=message]')).toHaveCount(20);
    await expect(rows.last()).not.toBeInViewport();
    await page.keyboard.press('ArrowUp');
    await expect(rows.last()).toHaveAttribute('aria-selected', 'true');
    await expect(rows.last()).toBeInViewport();
  } finally {
    await peon.stop();
  }
});
