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

// Started as a user starts it, peon wants its token on loopback too: the
// link it prints logs the browser in without typing anything and lands on
// a clean URL. The settings page lists the session, makes a one-time link
// (with a QR code) for another device, and signing out ends the session on
// the server, not only in this browser.
test('the printed link logs in; sessions are listed and end on the server', async ({ browser }) => {
  const peon = await startPeon(undefined, 0, {}, true);
  try {
    expect(peon.loginLink).toContain('/login?code=');
    const bare = await fetch(peon.url + '/api/snapshot', { method: 'POST' });
    expect(bare.status).toBe(401);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(peon.loginLink!);
    await expect(page).toHaveURL(peon.url + '/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    expect(page.url()).not.toContain('code=');

    await page.goto(peon.url + '/settings');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(page.getByTestId('session')).toHaveCount(1);
    await expect(page.getByTestId('session')).toHaveAttribute('data-current', 'true');

    await page.getByTestId('show-login-link').click();
    await expect(page.getByTestId('login-qr').locator('svg')).toBeVisible();
    await expect(page.getByTestId('loopback-only')).toBeVisible();
    const link = (await page.getByTestId('login-link').textContent())!.trim();
    expect(link).toContain('/login?code=');

    const other = await browser.newContext();
    const phone = await other.newPage();
    await phone.goto(link);
    await expect(phone).toHaveURL(peon.url + '/');
    await page.reload();
    await expect(page.getByTestId('session')).toHaveCount(2);

    const cookie = (await context.cookies()).find((c) => c.name === 'peon_session')!;
    await page.getByTestId('logout').click();
    await expect(page.getByTestId('login-form')).toBeVisible();
    const copied = await fetch(peon.url + '/api/snapshot', {
      method: 'POST',
      headers: { cookie: `peon_session=${cookie.value}` },
    });
    expect(copied.status).toBe(401);

    // The other device is still in; signing out everywhere ends it too.
    await phone.goto(peon.url + '/settings');
    await expect(phone.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await expect(phone.getByTestId('session')).toHaveCount(1);
    phone.once('dialog', (d) => d.accept());
    await phone.getByTestId('end-all-sessions').click();
    await expect(phone.getByTestId('login-form')).toBeVisible();
  } finally {
    await peon.stop();
  }
});
