// Messages written while the agent works, with the real codex: queued
// behind the running turn (reordered, removed, kept across a reload, sent
// one by one), or steered into it (the agent answers within the turn).
import { test, expect, Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCodexPeon } from './codex';

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('while codex works, a message queues behind the turn or steers into it', async ({ browser, playwright }) => {
  test.setTimeout(180_000);
  const running = await startCodexPeon();
  const { peon } = running;
  const api = await playwright.request.newContext();
  const send = async (command: object) => {
    const r = await api.post(`${peon.url}/api/dispatch`, {
      data: { envelope: { command_id: crypto.randomUUID(), command } },
    });
    expect(r.status(), await r.text()).toBe(200);
  };
  try {
    const folder = mkdtempSync(path.join(tmpdir(), 'peon-follow-ups-'));
    const project = crypto.randomUUID();
    const thread = crypto.randomUUID();
    await send({ type: 'project.create', project_id: project, title: 'Follow-ups', workspace_root: folder });
    await send({
      type: 'thread.create', thread_id: thread, project_id: project, title: 'A busy agent',
      provider: 'codex', runtime_mode: 'approval-required', interaction_mode: 'default',
    });
    const page = await browser.newPage();
    await page.goto(`${peon.url}/threads/${thread}`);
    await hydrated(page);
    const input = page.getByTestId('composer-input');
    const turns = page.getByTestId('turn');
    const queued = page.getByTestId('queued-message');

    // A slow answer (about twelve seconds).
    await input.fill('STREAM 200 60');
    await input.press('Enter');
    await expect(page.getByTestId('composer-queue')).toBeVisible();
    await expect(page.getByTestId('composer-steer')).toBeVisible();
    await expect(input).toHaveAttribute('placeholder', /Enter queues, Ctrl\+Enter steers/);

    // Enter queues; so does the Queue button.
    await input.fill('queued alpha');
    await input.press('Enter');
    await expect(queued).toHaveCount(1);
    await expect(input).toHaveValue('');
    await input.fill('queued beta');
    await page.getByTestId('composer-queue').click();
    await input.fill('queued gamma');
    await input.press('Enter');
    await expect(queued).toHaveText([/queued alpha/, /queued beta/, /queued gamma/]);
    // Reordered and cut before they go.
    await queued.nth(2).getByTestId('queue-up').click();
    await expect(queued).toHaveText([/queued alpha/, /queued gamma/, /queued beta/]);
    await queued.nth(0).getByTestId('queue-cancel').click();
    await expect(queued).toHaveText([/queued gamma/, /queued beta/]);
    await page.screenshot({ path: 'test-results/composer-queued.png' });
    // The queue is in the log, not in the page.
    await page.reload();
    await hydrated(page);
    await expect(queued).toHaveText([/queued gamma/, /queued beta/]);

    // Ctrl+Enter steers: the message joins the running turn, and the agent
    // answers it before the turn ends.
    await input.fill('steer toward bananas');
    await input.press('Control+Enter');
    await expect(turns.first().locator('[data-testid="message"][data-role="user"]')).toHaveCount(2);
    await expect(turns.first()).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
    await expect(turns.first()).toContainText('You said: steer toward bananas');

    // Then the queue goes, one turn each, in its order.
    await expect(turns).toHaveCount(3, { timeout: 60_000 });
    await expect(turns.nth(2)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
    await expect(turns.nth(1)).toContainText('You said: queued gamma');
    await expect(turns.nth(2)).toContainText('You said: queued beta');
    await expect(queued).toHaveCount(0);
    await expect(page.getByTestId('composer-send')).toBeVisible();
    // Tokens as the agent reported them: per turn (one request each here,
    // the fake says 3 cached and 5 out), for the thread, and how full the
    // agent's context is.
    await expect(turns.nth(1).getByTestId('turn-usage')).toHaveText(/^\d+ in \(3 cached\) · 5 out$/);
    await expect(page.getByTestId('thread-tokens')).toContainText(' out');
    await expect(page.getByTestId('context-bar')).toHaveAttribute('data-percent', /^\d+$/);
    await page.getByTestId('thread-usage').screenshot({ path: 'test-results/thread-usage.png' });

    // This browser makes Enter steer (settings); Ctrl+Enter then queues.
    await page.goto(`${peon.url}/settings`);
    await hydrated(page);
    await page.getByTestId('follow-up-default').selectOption('steer');
    await page.goto(`${peon.url}/threads/${thread}`);
    await hydrated(page);
    await input.fill('STREAM 90 60');
    await input.press('Enter');
    await expect(input).toHaveAttribute('placeholder', /Enter steers, Ctrl\+Enter queues/);
    // codex takes a steering message at once: it asks the model again with
    // it (which here says to never finish).
    await input.fill('HANG');
    await input.press('Enter');
    await expect(turns.nth(3).locator('[data-testid="message"][data-role="user"]')).toHaveCount(2);
    await expect(input).toHaveValue('');
    await expect(turns.nth(3)).toHaveAttribute('data-status', 'running');
    await input.fill('held for later');
    await input.press('Control+Enter');
    await expect(queued).toHaveText([/held for later/]);
    await page.screenshot({ path: 'test-results/composer-steer.png' });

    // A stopped turn leaves the queue waiting, to be sent by hand.
    await page.getByTestId('composer-stop').click();
    await expect(turns.nth(3)).toHaveAttribute('data-status', 'interrupted', { timeout: 30_000 });
    await expect(page.getByTestId('queue')).toContainText('did not complete');
    await expect(turns).toHaveCount(4);
    await queued.getByTestId('queue-send').click();
    await expect(turns).toHaveCount(5);
    await expect(turns.nth(4)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
    await expect(turns.nth(4)).toContainText('You said: held for later');
    await expect(queued).toHaveCount(0);
  } finally {
    await api.dispose();
    await running.stop();
  }
});
