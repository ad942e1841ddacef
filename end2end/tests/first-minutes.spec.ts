// From an empty peon to a message sent in a few actions: add a folder, one
// click for a new thread (no title asked: the composer is focused), and the
// first message names the thread.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon } from './peon';

test('a new thread is one click, and its first message names it', async ({ page }) => {
  // No codex on this server: the empty thread says so before anything is typed.
  const peon = await startPeon(undefined, 0, { PEON_CODEX_BIN: '/nonexistent/codex' });
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const folder = mkdtempSync(path.join(tmpdir(), 'peon-first-'));
    await page.getByTestId('project-path').fill(folder);
    await page.getByTestId('add-project').click();
    await expect(page.getByTestId('sidebar-project')).toHaveCount(1);

    await page.getByTestId('sidebar-new-thread').click();
    await expect(page).toHaveURL(/\/threads\/[0-9a-f-]+$/);
    const input = page.getByTestId('composer-input');
    await expect(input).toBeFocused();
    await expect(page.getByTestId('empty-thread')).toContainText('Codex answers');
    await expect(page.getByTestId('agent-missing')).toContainText('PEON_CODEX_BIN');
    await expect(page.getByTestId('agent-missing')).toContainText('npm');
    // Full access on this thread: the next new one starts the same way.
    await page.getByTestId('composer-runtime').selectOption('full-access');
    await input.focus();
    await page.keyboard.type('Explain what this repository does');
    await page.keyboard.press('Enter');

    await expect(page.getByTestId('thread-title')).toHaveText('Explain what this repository does');
    await expect(page.getByTestId('sidebar-thread')).toHaveText(/Explain what this repository does/);
    await expect(page.getByTestId('message').first()).toContainText('Explain what this repository does');

    // From the project page too, with the agent the project used last.
    await page.getByTestId('sidebar-project').getByRole('link').first().click();
    await expect(page.getByTestId('project-page')).toBeVisible();
    await page.getByTestId('project-new-thread').click();
    await expect(page).toHaveURL(/\/threads\/[0-9a-f-]+$/);
    await expect(input).toBeFocused();
    await expect(page.getByTestId('thread-title')).toHaveText('New thread');
    await expect(page.getByTestId('sidebar-thread')).toHaveCount(2);
    await expect(page.getByTestId('composer-runtime')).toHaveValue('full-access');
  } finally {
    await peon.stop();
  }
});
