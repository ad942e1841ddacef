// A real agent (codex, pinned npm version) under peon, against the fake
// OpenAI Responses server from tests/: streaming, an approval, completion.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCodexPeon } from './codex';

test('a message streams in, asks to run a command, and completes once accepted', async ({ browser }) => {
  // Six steps with a real agent, a 5 MB diff among them.
  test.setTimeout(180_000);
  const running = await startCodexPeon();
  const peon = running.peon;
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The settings page says which agents peon found, and their versions.
    await page.goto(peon.url + '/settings');
    const codex = page.locator('[data-testid="agent"][data-provider="codex"]');
    await expect(codex).toHaveAttribute('data-found', 'true');
    await expect(codex.getByTestId('agent-version')).toHaveText('codex-cli 0.171.0');
    await page.goto(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const folder = mkdtempSync(path.join(tmpdir(), 'peon-agent-'));
    // A git repository, so each turn leaves a checkpoint and a diff.
    for (const args of [['init', '-q', '-b', 'main'], ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'start']]) {
      execFileSync('git', args, { cwd: folder });
    }
    await page.getByTestId('project-path').fill(folder);
    await page.getByTestId('project-title').fill('Agent project');
    await page.getByTestId('add-project').click();
    await page.getByTestId('project-card').getByRole('link').click();
    await expect(page.getByTestId('project-page')).toBeVisible();
    const projectUrl = page.url();
    await page.getByTestId('thread-title').fill('Talk to codex');
    await page.getByTestId('add-thread').click();
    await page.getByTestId('thread-row').getByRole('link').first().click();
    await expect(page.getByTestId('composer')).toBeVisible();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

    // A second tab on the same thread sees the same stream.
    const other = await context.newPage();
    await other.goto(page.url());
    await expect(other.locator('body')).toHaveAttribute('data-hydrated', 'true');

    // 1. The answer streams in (visible while still streaming), then completes.
    await page.getByTestId('composer-input').fill('STREAM 40 40');
    await page.getByTestId('composer-input').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-streaming', 'true');
    await expect(answer.getByTestId('message-text')).toContainText('t0');
    const expected = Array.from({ length: 40 }, (_, i) => `t${i}`).join(' ');
    await expect(page.getByTestId('turn').last()).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
    await expect(answer.getByTestId('message-text')).toHaveText(expected);
    await expect(answer).toHaveAttribute('data-streaming', 'false');
    await expect(page.getByTestId('composer-input')).toHaveValue('');
    await expect(other.locator('[data-testid="message"][data-role="assistant"]').last()).toHaveText(new RegExp(expected));

    // A third tab, on the home page, has notifications on: it is told of
    // the wait and of the end, and clicking a note opens the thread.
    await context.grantPermissions(['notifications'], { origin: peon.url });
    const watcher = await context.newPage();
    await watcher.addInitScript(() => {
      // No speakers here: count the tones the page starts instead.
      (window as any).__tones = 0;
      const start = OscillatorNode.prototype.start;
      OscillatorNode.prototype.start = function (...args: any[]) {
        (window as any).__tones += 1;
        return start.apply(this, args as any);
      };
      const Real = window.Notification;
      const notes: { title: string; body?: string; note: Notification }[] = [];
      (window as any).__notes = notes;
      (window as any).Notification = class extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          notes.push({ title, body: options?.body, note: this });
        }
      };
    });
    await watcher.goto(peon.url + '/settings');
    await expect(watcher.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await watcher.getByTestId('notify-toggle').check();
    await expect(watcher.getByTestId('notify-toggle')).toBeChecked();
    await expect(watcher.getByTestId('notify-problem')).toHaveCount(0);
    await expect(watcher.getByTestId('notify-sound')).toBeEnabled();
    await watcher.getByTestId('notify-sound').check();
    await watcher.goto(peon.url + '/');
    await expect(watcher.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const told = () =>
      watcher.evaluate(() => (window as any).__notes.map((n: any) => `${n.title}: ${n.body}`));

    // 2. A command waits for approval; accepting it runs it.
    await page.getByTestId('composer-input').fill('RUN touch e2e_marker.txt && echo marked');
    await page.getByTestId('composer-send').click();
    const approval = page.getByTestId('approval').last();
    await expect(approval).toHaveAttribute('data-decision', 'pending', { timeout: 30_000 });
    await expect(approval).toContainText('touch e2e_marker.txt');
    await expect(other.getByTestId('approval').last()).toHaveAttribute('data-decision', 'pending');
    await page.screenshot({ path: 'test-results/agent-approval.png', fullPage: true });
    // Both tabs (the other one in the background) count it in their title.
    await expect(page).toHaveTitle('(1) peon');
    await expect(other).toHaveTitle('(1) peon');
    // And the icon carries the count.
    const icon = other.locator('link[rel=icon]');
    await expect(icon).toHaveAttribute('href', /^data:image\/svg\+xml,.*%3E1%3C%2Ftext%3E/);
    expect(existsSync(path.join(folder, 'e2e_marker.txt'))).toBe(false);
    await approval.getByTestId('approve').click();
    await expect(page.getByTestId('turn').last()).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
    await expect(approval).toHaveAttribute('data-decision', 'accept');
    await expect(other).toHaveTitle('peon');
    await expect(icon).toHaveAttribute('href', '/icon.svg');
    await expect
      .poll(told)
      .toEqual(['Talk to codex: is waiting for your approval', 'Talk to codex: finished its turn']);
    // The wait chimed once; the end did not.
    expect(await watcher.evaluate(() => (window as any).__tones)).toBe(1);
    const threadUrl = page.url();
    await watcher.evaluate(() => (window as any).__notes.at(-1).note.onclick());
    await expect(watcher).toHaveURL(threadUrl);
    expect(existsSync(path.join(folder, 'e2e_marker.txt'))).toBe(true);
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toContainText('Tool said:');
    const command = page.locator('[data-testid="activity"][data-kind="command"]').last();
    await expect(command).toHaveAttribute('data-status', 'completed');
    await command.locator('summary').click();
    await expect(command).toContainText('marked');

    // The turn's change, and its diff in both layouts.
    const changes = page.getByTestId('turn').last().getByTestId('turn-changes');
    await expect(changes).toContainText('1 file changed');
    await changes.locator('summary').click();
    await changes.getByTestId('view-diff').click();
    const file = page.getByTestId('diff-panel').getByTestId('diff-file');
    await expect(file).toHaveAttribute('data-path', 'e2e_marker.txt');
    await expect(file).toContainText('added');
    await page.getByTestId('diff-split').click();
    await expect(page.getByTestId('diff-split')).toBeDisabled();

    // The git panel: the new file is a change; commit it, make a branch.
    execFileSync('git', ['config', 'user.name', 'E2E'], { cwd: folder });
    execFileSync('git', ['config', 'user.email', 'e2e@example.com'], { cwd: folder });
    await page.getByTestId('git-summary').click();
    await expect(page.getByTestId('git-summary')).toContainText('Git: main');
    const changed = page.getByTestId('git-file');
    await expect(changed).toHaveCount(1);
    await expect(changed).toContainText('e2e_marker.txt');
    await changed.locator('input[type=checkbox]').check();
    await page.getByTestId('git-message').fill('Add the marker');
    await page.getByTestId('git-commit').click();
    await expect(page.getByTestId('git-file')).toHaveCount(0);
    expect(execFileSync('git', ['log', '-1', '--format=%s'], { cwd: folder }).toString().trim()).toBe('Add the marker');
    await page.getByTestId('git-new-branch').fill('feature/e2e');
    await page.getByTestId('git-create-branch').click();
    await expect(page.getByTestId('git-branches').locator('option')).toHaveCount(2);
    await page.screenshot({ path: 'test-results/agent-completed.png', fullPage: true });

    // 3. Markdown renders live; HTML in an answer stays text.
    await page.getByTestId('composer-input').fill('hi');
    await page.getByTestId('composer-input').press('Shift+Enter');
    await page.getByTestId('composer-input').press('Shift+Enter');
    await page.getByTestId('composer-input').pressSequentially('## Heading');
    await page.getByTestId('composer-input').press('Shift+Enter');
    await page.getByTestId('composer-input').press('Shift+Enter');
    await page.getByTestId('composer-input').pressSequentially('<img src=x onerror="window.__pwned=1">');
    await expect(page.getByTestId('composer-input')).toHaveValue(/hi\n\n## Heading\n\n<img/);
    await page.getByTestId('composer-input').press('Enter');
    const md = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(md.locator('h2')).toHaveText('Heading', { timeout: 30_000 });
    await expect(md).toContainText('<img src=x');
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();

    // 4. Stop ends a running turn.
    await page.getByTestId('composer-input').fill('HANG');
    await page.getByTestId('composer-input').press('Enter');
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toContainText('Working', {
      timeout: 30_000,
    });
    // Escape (from the message box too) is what the Stop button does.
    await expect(page.getByTestId('composer-stop')).toBeVisible();
    await page.getByTestId('composer-input').focus();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('turn').last()).toHaveAttribute('data-status', 'interrupted', { timeout: 30_000 });
    await expect(page.getByTestId('composer-send')).toBeVisible();

    // 5. A 5 MB change (700,000 new lines): the diff opens a page of lines
    // at a time and the page stays responsive.
    await page.getByTestId('composer-input').fill('RUN seq 1 700000 > big.txt');
    await page.getByTestId('composer-input').press('Enter');
    // Alt+A accepts the waiting approval.
    await expect(page.getByTestId('approval').last()).toHaveAttribute('data-decision', 'pending', { timeout: 30_000 });
    await page.keyboard.press('Alt+a');
    await expect(page.getByTestId('approval').last()).toHaveAttribute('data-decision', 'accept');
    await expect(page.getByTestId('turn').last()).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
    const bigChanges = page.getByTestId('turn').last().getByTestId('turn-changes');
    await expect(bigChanges).toContainText('+700000', { timeout: 30_000 });
    await bigChanges.locator('summary').click();
    // Timed inside the page: from the click to the frame that shows the
    // rows (Playwright's own polling would blur the numbers).
    const timeUntil = (click: string, done: string) =>
      page.evaluate(
        ([click, done]) =>
          new Promise<number>((resolve) => {
            const start = performance.now();
            (document.querySelector(click) as HTMLElement).click();
            const check = () =>
              document.querySelector(done) ? resolve(performance.now() - start) : requestAnimationFrame(check);
            requestAnimationFrame(check);
          }),
        [click, done],
      );
    const bigFile = page.locator('[data-testid="diff-file"][data-path="big.txt"]');
    // The second tab would otherwise hold the foreground, and Chromium
    // throttles animation frames in background tabs.
    await other.close();
    await page.bringToFront();
    const firstPageMs = Math.round(
      await timeUntil(
        '[data-testid="turn"]:last-child [data-testid="view-diff"]',
        '[data-testid="diff-file"][data-path="big.txt"] [data-testid="diff-more"]',
      ),
    );
    await expect(bigFile.locator('.diff-line')).toHaveCount(800);
    // A frame comes back quickly: nothing is left blocking the main thread.
    const frameMs = await page.evaluate(
      () => new Promise<number>((done) => { const t = performance.now(); requestAnimationFrame(() => done(performance.now() - t)); }),
    );
    const morePageMs = Math.round(
      await timeUntil(
        '[data-testid="diff-file"][data-path="big.txt"] [data-testid="diff-more"]',
        '[data-testid="diff-file"][data-path="big.txt"] .diff-body:nth-of-type(2)',
      ),
    );
    await expect(bigFile.locator('.diff-line')).toHaveCount(1600);
    const measured = { firstPageMs, frameMs: Math.round(frameMs), morePageMs };
    console.log(`5 MB diff in Chromium: ${JSON.stringify(measured)}`);
    writeFileSync('test-results/diff-5mb.json', JSON.stringify(measured));

    // The whole thread's change: every file since before its first turn
    // (Alt+G shows and hides it as its button does).
    await page.keyboard.press('Alt+g');
    const whole = page.locator('.thread-diff [data-testid="diff-file"]');
    await expect(whole.first()).toBeVisible({ timeout: 30_000 });
    expect((await whole.evaluateAll((files) => files.map((f) => f.getAttribute('data-path')))).sort()).toEqual([
      'big.txt',
      'e2e_marker.txt',
    ]);
    await page.keyboard.press('Alt+g');
    await expect(whole).toHaveCount(0);

    // Alt+X declines: the command never runs.
    await page.getByTestId('composer-input').fill('RUN touch declined.txt');
    await page.getByTestId('composer-input').press('Enter');
    await expect(page.getByTestId('approval').last()).toHaveAttribute('data-decision', 'pending', { timeout: 30_000 });
    await page.keyboard.press('Alt+x');
    await expect(page.getByTestId('approval').last()).toHaveAttribute('data-decision', 'decline');
    await expect(page.getByTestId('turn').last()).not.toHaveAttribute('data-status', /requested|running/, { timeout: 30_000 });
    expect(existsSync(path.join(folder, 'declined.txt'))).toBe(false);

    // 6. A thread in its own worktree: made from the project page, shown
    // with its branch, removed with the thread (after a confirmation).
    await page.goto(projectUrl);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.getByTestId('thread-title').fill('Side work');
    await page.getByTestId('thread-worktree').check();
    await page.getByTestId('thread-branch').fill('side/e2e');
    await page.getByTestId('add-thread').click();
    const sideRow = page.getByTestId('thread-row').filter({ hasText: 'Side work' });
    await expect(sideRow.getByTestId('worktree-branch')).toHaveText('worktree · side/e2e');
    expect(execFileSync('git', ['worktree', 'list'], { cwd: folder }).toString()).toContain('[side/e2e]');
    // A file git ignores in the worktree (a .env copied in) is named in the
    // confirmation, since the delete removes it too.
    const listed = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: folder }).toString();
    const sidePath = listed
      .split('\n\n')
      .find((entry) => entry.includes('refs/heads/side/e2e'))!
      .split('\n')[0]
      .replace(/^worktree /, '');
    appendFileSync(path.join(folder, '.git', 'info', 'exclude'), '\n.env\n');
    writeFileSync(path.join(sidePath, '.env'), 'SECRET=1\n');
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      dialog.accept();
    });
    await sideRow.getByTestId('delete-thread').click();
    await expect.poll(() => asked).toContain('removed with it: .env');
    await expect(sideRow).toHaveCount(0);
    await expect
      .poll(() => execFileSync('git', ['worktree', 'list'], { cwd: folder }).toString())
      .not.toContain('side/e2e');
    expect(execFileSync('git', ['branch', '--list', 'side/e2e'], { cwd: folder }).toString()).toContain('side/e2e');
    expect(existsSync(sidePath)).toBe(false);
  } finally {
    await running.stop();
  }
});
