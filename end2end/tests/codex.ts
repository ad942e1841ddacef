// The real codex (pinned npm version) under peon, against the fake OpenAI
// Responses server from tests/ (`fake-model`), fully offline.
import { expect } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Peon, startPeon } from './peon';

const ROOT = path.resolve(__dirname, '../..');
export const FAKE_MODEL =
  process.env.FAKE_MODEL_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/fake-model');
export const CODEX = path.join(ROOT, 'scripts/agents/node_modules/.bin/codex');

async function startFakeModel(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(FAKE_MODEL, ['openai'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`fake-model exited with ${code}`)));
  });
  return { url, child };
}

export interface CodexPeon {
  peon: Peon;
  /** Stops peon and the fake model. */
  stop(): Promise<void>;
}

/** Starts the fake model and peon with codex pointed at it. */
export async function startCodexPeon(): Promise<CodexPeon> {
  expect(existsSync(FAKE_MODEL), `${FAKE_MODEL} (cargo build -p peon-tests --bins)`).toBe(true);
  expect(existsSync(CODEX), `${CODEX} (scripts/setup --test)`).toBe(true);
  const fake = await startFakeModel();
  // Codex's home outside /tmp (it warns about helper binaries there).
  const base = path.join(ROOT, 'end2end/test-results');
  mkdirSync(base, { recursive: true });
  const home = mkdtempSync(path.join(base, 'codex-home-'));
  writeFileSync(
    path.join(home, 'config.toml'),
    [
      'model_provider = "mock"',
      'model = "gpt-5.5"',
      'check_for_update_on_startup = false',
      '[model_providers.mock]',
      'name = "mock"',
      `base_url = "${fake.url}/v1"`,
      'wire_api = "responses"',
      'env_key = "MOCK_API_KEY"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '[analytics]',
      'enabled = false',
      '[features]',
      'plugins = false',
    ].join('\n'),
  );
  const peon = await startPeon(undefined, 0, { CODEX_HOME: home, MOCK_API_KEY: 'dummy', PEON_CODEX_BIN: CODEX });
  return {
    peon,
    async stop() {
      await peon.stop();
      fake.child.kill();
    },
  };
}
