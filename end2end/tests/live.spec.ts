// Live views, server-rendered thread pages, and long threads.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

test('a project and a thread created in one tab appear live in another', async ({ browser }) => {
  const peon = await startPeon();
  try {
    const context = await browser.newContext();
    const a = await context.newPage();
    const b = await context.newPage();
    for (const page of [a, b]) {
      await page.goto(peon.url + '/');
      await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    }
    const folder = mkdtempSync(path.join(tmpdir(), 'peon-live-'));
    await a.getByTestId('project-path').fill(folder);
    await a.getByTestId('project-title').fill('Live project');
    await a.getByTestId('add-project').click();
    await expect(b.getByTestId('sidebar-project')).toHaveText(/Live project/);
    await expect(b.getByTestId('project-card')).toHaveCount(1);

    await a.getByTestId('project-card').getByRole('link').click();
    await expect(a.getByTestId('project-page')).toBeVisible();
    await a.getByTestId('thread-title').fill('Fix the parser');
    await a.getByTestId('add-thread').click();
    await expect(b.getByTestId('sidebar-thread')).toHaveText(/Fix the parser/);
    await expect(a.getByTestId('thread-row')).toHaveCount(1);
    await b.screenshot({ path: 'test-results/live-second-tab.png', fullPage: true });

    // Rename, archive, unarchive and delete: each shows in the other tab.
    a.on('dialog', (dialog) => dialog.accept(dialog.type() === 'prompt' ? 'Parser fixed' : undefined));
    await a.getByTestId('rename-thread').click();
    await expect(b.getByTestId('sidebar-thread')).toHaveText(/Parser fixed/);
    // Archived threads stay in the sidebar, hidden behind its toggle.
    await a.getByTestId('archive-thread').click();
    await expect(b.getByTestId('sidebar-thread')).toBeHidden();
    await expect(b.getByTestId('sidebar-show-archived')).toHaveText('1 archived');
    await expect(a.getByTestId('thread-row')).toHaveAttribute('data-archived', 'true');
    await a.getByTestId('archive-thread').click();
    await expect(b.getByTestId('sidebar-thread')).toBeVisible();
    await expect(b.getByTestId('sidebar-show-archived')).toHaveCount(0);
    await a.getByTestId('delete-thread').click();
    await expect(b.getByTestId('sidebar-thread')).toHaveCount(0);
    await expect(a.getByTestId('thread-row')).toHaveCount(0);
    await a.getByTestId('rename-project').click();
    await expect(b.getByTestId('sidebar-project')).toHaveText(/Parser fixed/);
    await context.close();
  } finally {
    await peon.stop();
  }
});

test('with JavaScript disabled a thread page shows its conversation', async ({ browser }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-nojs-'));
  const thread = seedThread(dataDir, 3);
  const peon = await startPeon(dataDir);
  try {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${peon.url}/threads/${thread}`);
    await expect(page.getByTestId('thread-title')).toHaveText('A thread of 3 turns');
    await expect(page.getByTestId('turn')).toHaveCount(3);
    await expect(page.getByTestId('message').filter({ hasText: 'Question number 2' })).toBeVisible();
    await expect(page.getByTestId('message').filter({ hasText: 'Answer number 3. It reads the log' })).toBeVisible();
    await expect(page.locator('[data-testid=turn][data-status=completed]')).toHaveCount(3);
    // Styled: the stylesheet applied without any script.
    const columns = await page.locator('.layout').evaluate((e) => getComputedStyle(e).display);
    expect(columns).toBe('grid');
    await page.screenshot({ path: 'test-results/thread-no-js.png', fullPage: true });
    await context.close();
  } finally {
    await peon.stop();
  }
});

test('a 5,000-turn thread opens at its latest turns and scrolls back to the first', async ({ page }) => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-long-'));
  const thread = seedThread(dataDir, 5000);
  const peon = await startPeon(dataDir);
  try {
    await page.goto(`${peon.url}/threads/${thread}`);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const turns = page.getByTestId('turn');
    await expect(turns).toHaveCount(30);
    await expect(turns.last()).toHaveAttribute('data-turn', '5000');
    // Scroll to the top until the first turn is loaded; each scroll loads
    // older turns above and keeps the reader's place.
    const firstTurn = () => turns.first().getAttribute('data-turn');
    for (let i = 0; i < 100 && (await firstTurn()) !== '1'; i++) {
      const before = await firstTurn();
      await page.evaluate(() => window.scrollTo(0, 0));
      await expect.poll(firstTurn, { timeout: 10_000 }).not.toBe(before);
    }
    await expect(turns.first()).toHaveAttribute('data-turn', '1');
    await expect(turns).toHaveCount(5000);
    await expect(page.getByTestId('load-older')).toHaveCount(0);
  } finally {
    await peon.stop();
  }
});
