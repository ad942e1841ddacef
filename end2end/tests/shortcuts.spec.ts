// Keyboard shortcuts: every default key does what the help overlay (`?`)
// says, keys typed into a text field stay text, the config file's
// [keybindings] rebinds and unbinds them, and on a phone the sidebar is a
// drawer. (Stop, accept, decline and the thread's diff need a real agent:
// agents.spec presses those.)
import { test, expect, Page } from '@playwright/test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon, seedThread } from './peon';

const hydrated = (page: Page) => expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

test('every default shortcut, with the ? overlay that lists them', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-keys-'));
  seedThread(dataDir, 2);
  seedThread(dataDir, 3);
  const peon = await startPeon(dataDir);
  try {
    await page.goto(peon.url + '/');
    await hydrated(page);

    // ? opens the list (a chunk of its own), ? or Escape closes it.
    await page.keyboard.press('?');
    const help = page.getByTestId('shortcuts-help');
    await expect(help).toBeVisible();
    const row = (action: string) => help.locator(`[data-testid="keybinding"][data-action="${action}"]`);
    await expect(row('palette')).toContainText('Ctrl/⌘+K');
    await expect(row('new-thread')).toContainText('Alt+N');
    await expect(row('stop-agent')).toContainText('Escape');
    await expect(row('toggle-theme')).toContainText('none');
    await expect(help.getByTestId('keybinding')).toHaveCount(13);
    await page.screenshot({ path: 'test-results/shortcuts-help.png' });
    await page.keyboard.press('Escape');
    await expect(help).toHaveCount(0);
    await page.keyboard.press('?');
    await expect(help).toBeVisible();
    await page.keyboard.press('?');
    await expect(help).toHaveCount(0);

    // Alt+↓ / Alt+↑ walk the threads in the sidebar's order, wrapping.
    const listed = await page
      .locator('[data-testid="sidebar-thread"] > a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(listed).toHaveLength(2);
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page).toHaveURL(peon.url + listed[0]);
    await expect(page.getByTestId('composer')).toBeVisible();
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page).toHaveURL(peon.url + listed[1]);
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page).toHaveURL(peon.url + listed[0]);
    await page.keyboard.press('Alt+ArrowUp');
    await expect(page).toHaveURL(peon.url + listed[1]);

    // / focuses the message box; there, / and ? are text, not shortcuts.
    // (Wait for the thread's own page: until it has loaded, the one before
    // stays shown, and its message box goes when the new one comes.)
    const input = page.getByTestId('composer-input');
    await expect(input).toHaveAttribute('data-draft-of', listed[1]!.split('/').pop()!);
    await expect(input).not.toBeFocused();
    await page.keyboard.press('/');
    await expect(input).toBeFocused();
    await page.keyboard.type('a/b?');
    await expect(input).toHaveValue('a/b?');
    await expect(help).toHaveCount(0);
    // Escape with nothing running leaves the text alone.
    await page.keyboard.press('Escape');
    await expect(input).toHaveValue('a/b?');
    // Alt+↓ runs from the message box too: an arrow types nothing.
    await expect(input).toBeFocused();
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page).toHaveURL(peon.url + listed[0]);
    await expect(input).toHaveAttribute('data-draft-of', listed[0]!.split('/').pop()!);

    // Ctrl+` toggles the terminal, from inside it too.
    await page.keyboard.press('Control+Backquote');
    await expect(page.locator('.xterm')).toBeVisible();
    await page.locator('.xterm').click();
    // Inside it only Ctrl/⌘ keys are the page's: Alt and ? go to the shell.
    const here = page.url();
    await page.keyboard.press('Alt+ArrowDown');
    await page.keyboard.press('?');
    await expect(page).toHaveURL(here);
    await expect(help).toHaveCount(0);
    await page.keyboard.press('Control+Backquote');
    await expect(page.locator('.xterm')).toBeHidden();

    // Alt+N: a new thread in the project shown, opened and ready to type.
    const before = page.url();
    await page.keyboard.press('Alt+n');
    await expect(page).not.toHaveURL(before);
    await expect(page).toHaveURL(/\/threads\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId('sidebar-thread')).toHaveCount(3);
    await expect(input).toBeFocused();

    // In the palette, keys are the palette's: ? is typed, not run.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('?');
    await expect(page.getByTestId('palette-input')).toHaveValue('?');
    await expect(help).toHaveCount(0);
    await page.keyboard.press('Control+k');
    await expect(page.getByTestId('palette')).toHaveCount(0);

    // Ctrl+, opens settings, which lists the same keys.
    await page.keyboard.press('Control+Comma');
    await expect(page).toHaveURL(/\/settings$/);
    const listedKeys = page.getByTestId('keybindings').getByTestId('keybinding');
    await expect(listedKeys).toHaveCount(13);
    await expect(listedKeys.filter({ hasText: 'Toggle terminal' })).toContainText('Ctrl+`');
  } finally {
    await peon.stop();
  }
});

test('keys rebound and unbound in the config file', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-rebound-'));
  const thread = seedThread(dataDir, 1);
  writeFileSync(
    path.join(dataDir, 'config.toml'),
    ['[keybindings]', 'toggle-terminal = "Ctrl+J"', 'help = "Alt+H"', 'palette = ""', 'toggle-theme = "Alt+T"'].join('\n'),
  );
  const peon = await startPeon(dataDir);
  try {
    await page.goto(peon.url + '/settings');
    await hydrated(page);
    const listed = (action: string) =>
      page.getByTestId('keybindings').locator(`[data-testid="keybinding"][data-action="${action}"]`);
    await expect(listed('toggle-terminal')).toContainText('Ctrl+J');
    await expect(listed('palette')).toContainText('none');
    await expect(listed('toggle-theme')).toContainText('Alt+T');
    await page.screenshot({ path: 'test-results/shortcuts-settings.png', fullPage: true });

    await page.goto(`${peon.url}/threads/${thread}`);
    await hydrated(page);
    await page.keyboard.press('Control+Backquote');
    await page.keyboard.press('Control+k');
    await page.keyboard.press('?');
    await expect(page.locator('.xterm')).toHaveCount(0);
    await expect(page.getByTestId('palette')).toHaveCount(0);
    await expect(page.getByTestId('shortcuts-help')).toHaveCount(0);
    await page.keyboard.press('Control+j');
    await expect(page.locator('.xterm')).toBeVisible();
    // Alt keys are the shell's while the terminal has the focus.
    await page.locator('.xterm').click();
    await page.keyboard.press('Alt+h');
    await expect(page.getByTestId('shortcuts-help')).toHaveCount(0);
    await page.getByTestId('thread-title').click();
    await page.keyboard.press('Alt+h');
    await expect(page.getByTestId('shortcuts-help')).toBeVisible();
    await page.keyboard.press('Escape');
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme ?? '');
    const before = await theme();
    await page.keyboard.press('Alt+t');
    await expect.poll(theme).not.toBe(before);
  } finally {
    await peon.stop();
  }
});

test('on a phone the sidebar is a drawer and the composer stays in view', async ({ browser }) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peon-phone-'));
  const thread = seedThread(dataDir, 3);
  seedThread(dataDir, 1);
  const peon = await startPeon(dataDir);
  try {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(peon.url + '/');
    await hydrated(page);
    const sidebar = page.getByTestId('sidebar');
    const toggle = page.getByTestId('sidebar-toggle');
    await expect(toggle).toBeVisible();
    await expect(sidebar).toBeHidden();
    await toggle.click();
    await expect(sidebar).toBeVisible();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await page.screenshot({ path: 'test-results/phone-drawer.png' });
    // Opening a thread closes the drawer.
    await sidebar.locator(`a[href="/threads/${thread}"]`).click();
    await expect(page).toHaveURL(new RegExp(`/threads/${thread}$`));
    await expect(sidebar).toBeHidden();
    const composer = page.getByTestId('composer');
    await expect(composer).toBeInViewport();
    await expect(page.getByTestId('composer-send')).toBeInViewport();
    // The page is no wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: 'test-results/phone-thread.png' });
    // A tap beside the open drawer closes it.
    await toggle.click();
    await expect(sidebar).toBeVisible();
    await page.mouse.click(380, 400);
    await expect(sidebar).toBeHidden();
    // So does moving to another thread from the keyboard.
    await toggle.click();
    await expect(sidebar).toBeVisible();
    await page.keyboard.press('Alt+ArrowDown');
    await expect(page).not.toHaveURL(new RegExp(`/threads/${thread}$`));
    await expect(sidebar).toBeHidden();

    // The project page's delete button shows its label.
    await page.goto(peon.url + '/');
    await page.getByTestId('project-card').getByRole('link').first().click();
    const remove = page.getByTestId('delete-project');
    await expect(remove).toHaveText('Delete');
    const [colour, background] = await remove.evaluate((b) => {
      const s = getComputedStyle(b);
      return [s.color, s.backgroundColor];
    });
    expect(colour).not.toBe(background);
    await context.close();
  } finally {
    await peon.stop();
  }
});
