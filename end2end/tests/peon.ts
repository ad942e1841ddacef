// Starts the real release `peon` binary on a free port with a fresh data
// folder, and stops it.
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PEON_BIN =
  process.env.PEON_BIN ?? path.resolve(__dirname, '../../target/release/peon');

export const PEON_SEED = path.join(path.dirname(PEON_BIN), 'peon-seed');

/** Seeds a thread of `turns` finished turns through the engine; returns its id. */
export function seedThread(dataDir: string, turns: number): string {
  const workspace = mkdtempSync(path.join(tmpdir(), 'peon-seeded-'));
  const out = execFileSync(PEON_SEED, ['--data-dir', dataDir, '--workspace', workspace, '--turns', String(turns)]);
  return out.toString().trim();
}

export interface Peon {
  url: string;
  dataDir: string;
  /** The one-time login link peon printed (guarded or token starts only). */
  loginLink?: string;
  stop(): Promise<void>;
}

/**
 * Starts peon. Unless `guarded` (or a token is given in `env`) it runs with
 * `--no-auth`: most tests are about what peon does once in; login.spec
 * starts it as a user would.
 */
export async function startPeon(
  dataDir?: string,
  port = 0,
  env: Record<string, string> = {},
  guarded = false,
): Promise<Peon> {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'peon-e2e-'));
  const open = !guarded && !env.PEON_AUTH_TOKEN;
  const args = ['--data-dir', dir, '--port', String(port), ...(open ? ['--no-auth'] : [])];
  const child: ChildProcess = spawn(PEON_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Terminals run a shell that reads no rc file (a user's .bashrc must not
    // decide a test, nor be left locked by a shell that ends with it).
    env: { ...process.env, SHELL: '/bin/sh', ...env },
  });
  let loginLink: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`peon did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk.toString();
      const m = out.match(/running at (http:\/\/[^\s]+?)\/? /);
      const link = out.match(/log in at (http:\/\/\S+)\s/);
      if (link) loginLink = link[1];
      if (m && (open || link)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (chunk) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`peon exited with ${code}: ${out}`)));
  });
  return {
    url,
    dataDir: dir,
    loginLink,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
