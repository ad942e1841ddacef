// From an empty peon to a message sent in a few actions: add a folder, one
// click for a new thread (no title asked: the composer is focused), and the
// first message names the thread.
import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

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

test('the folder field completes as you type, by keyboard alone, and names bad input', async ({ page }) => {
  const root = mkdtempSync(path.join(tmpdir(), 'peon-folders-'));
  for (const sub of ['alpha/.git', 'alpha/src', 'beta', '.hidden']) mkdirSync(path.join(root, sub), { recursive: true });
  writeFileSync(path.join(root, 'notes.txt'), 'not a folder');
  // Only `root` may hold projects: its parent offers the way there only.
  const peon = await startPeon(undefined, 0, { PEON_ALLOWED_ROOTS: root });
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const field = page.getByTestId('project-path');
    const suggestions = page.getByTestId('path-suggestion');

    await field.click();
    await field.pressSequentially(root + '/');
    await expect(suggestions).toHaveText([/^alpha\s*git/, /^beta/, /^\.hidden/]);
    await page.screenshot({ path: 'test-results/folder-completion.png' });
    await field.pressSequentially('b');
    await expect(suggestions).toHaveText([/^beta/]);
    // Tab takes the first, and lists inside it; Backspace and arrows pick another.
    await field.press('Tab');
    await expect(field).toHaveValue(root + '/beta/');
    await expect(field).toBeFocused();
    await field.fill(root + '/');
    await expect(suggestions).toHaveCount(3);
    await field.press('ArrowDown');
    await expect(suggestions.first()).toHaveClass(/selected/);
    await field.press('Enter');
    await expect(field).toHaveValue(root + '/alpha/');
    await expect(suggestions).toHaveText([/^src/, /^\.git/]);
    // Enter with nothing picked adds the project.
    await field.press('Escape');
    await field.press('Enter');
    await expect(page.getByTestId('project-card')).toContainText('alpha');

    // Bad input is named under the field as it is typed.
    await field.fill(root + '/notes.txt');
    await expect(page.getByTestId('path-problem')).toContainText('is a file, not a folder');
    await field.fill(root + '/nothing/here');
    await expect(page.getByTestId('path-problem')).toContainText('no such folder');
    await field.fill('relative/path');
    await expect(page.getByTestId('path-problem')).toContainText('full path');
    await field.fill(path.dirname(root) + '/');
    await expect(page.getByTestId('path-problem')).toHaveCount(0);
    await expect(suggestions).toHaveText([new RegExp('^' + path.basename(root))]);
    await field.fill('/etc/');
    await expect(page.getByTestId('path-problem')).toContainText('outside the folders peon may open');

    // An empty field offers the folder the existing project lives in.
    await field.fill('');
    await expect(suggestions.first()).toHaveText(root + '/');
  } finally {
    await peon.stop();
  }
});

// The project page is drawn again whenever one of its threads changes;
// what is being typed into its new-thread form stays.
test('the new-thread form keeps what is typed while the project changes', async ({ page, playwright }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-form-'));
  const thread = seedThread(dataDir, 1);
  const peon = await startPeon(dataDir);
  const api = await playwright.request.newContext();
  try {
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.getByTestId('project-card').getByRole('link').first().click();
    await expect(page.getByTestId('project-page')).toBeVisible();
    await page.getByTestId('thread-title').fill('Half a thought');
    await page.getByTestId('thread-worktree').check();
    const response = await api.post(`${peon.url}/api/dispatch`, {
      data: { envelope: { command_id: crypto.randomUUID(), command: { type: 'thread.update', thread_id: thread, title: 'Renamed elsewhere' } } },
    });
    expect(response.status()).toBe(200);
    await expect(page.getByTestId('thread-row')).toContainText('Renamed elsewhere');
    await expect(page.getByTestId('thread-title')).toHaveValue('Half a thought');
    await expect(page.getByTestId('thread-worktree')).toBeChecked();
  } finally {
    await api.dispose();
    await peon.stop();
  }
});
