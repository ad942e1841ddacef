// With a token set, the browser meets the login page first; after logging
// in, the app hydrates and follows the live event stream under the page's
// Content-Security-Policy.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPeon } from './peon';

const TOKEN = 'e2e-login-token-7d1f';

test('log in with the token, then use peon', async ({ browser }) => {
  const peon = await startPeon(undefined, 0, { PEON_AUTH_TOKEN: TOKEN });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const first = await page.goto(peon.url + '/');
    expect(first?.status()).toBe(401);
    await expect(page.getByTestId('login-form')).toBeVisible();

    await page.getByTestId('login-token').fill('not-the-token');
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toContainText('not right');

    await page.getByTestId('login-token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await expect(page).toHaveURL(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'peon_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    // Live: a project added in a second tab shows up here through the
    // event stream, which the policy and the login both let through.
    const folder = mkdtempSync(path.join(tmpdir(), 'peon-login-'));
    const other = await context.newPage();
    await other.goto(peon.url + '/');
    await expect(other.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await other.getByTestId('project-path').fill(folder);
    await other.getByTestId('project-title').fill('Behind a login');
    await other.getByTestId('add-project').click();
    await expect(page.getByTestId('project-card')).toContainText('Behind a login');
    expect(violations).toEqual([]);
  } finally {
    await peon.stop();
  }
});
