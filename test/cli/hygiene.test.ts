// The CLI's small promises: `--version`, `status --json` when no daemon runs, the state column shown whole.
// Guarantees scripts always get JSON from `status --json` (running: false, exit 2 when down).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderStatus } from '../../src/cli/format.js';
import type { StatusDoc } from '../../src/daemon/status.js';
import { ExitCode } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { tempDir } from '../helpers/config.js';
import { cliAsync } from '../helpers/daemon.js';

test('--version prints the package version and exits 0', async () => {
  const version = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
  const r = await cliAsync(['--version']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), version);
});

test('status --json with no daemon prints a JSON document and exits 2; without --json it says so on stderr', async () => {
  const socket = join(tempDir('hygiene'), 'none.sock');
  const r = await cliAsync(['status', '--json', '--socket', socket]);
  assert.is(r.code, ExitCode.notRunning, r.stderr);
  const doc = JSON.parse(r.stdout) as { running: boolean; healthy: boolean; socket: string; error: string };
  assert.is(doc.running, false);
  assert.is(doc.healthy, false);
  assert.is(doc.socket, socket);
  assert.match(doc.error, 'not running');
  const text = await cliAsync(['status', '--socket', socket]);
  assert.is(text.code, ExitCode.notRunning);
  assert.is(text.stdout, '');
  assert.match(text.stderr, 'not running');
});

test('the state column shows a long parallel state whole', () => {
  const state = 'ready.trade.flat,loop.waitingForSnapshot,health.ok';
  const actor = { id: 'execution', lifecycle: 'running', machineState: state, threadId: 3, uptimeMs: 5000, restarts: 0, heartbeatAgeMs: 200, messagesIn: 10, messagesOut: 4, rates: { inPerSec: 1, outPerSec: 0.5 } };
  const doc = {
    daemon: { pid: 1, mode: 'paper', environment: 'paper', venue: 'sim', endpoint: 'http://127.0.0.1:1', symbols: ['BTCUSDT'], startedAt: 0, uptimeMs: 5000, clock: { speed: 60, now: 0 } },
    actors: [actor],
    exchange: { venue: 'sim', environment: 'paper', connected: true, clockOffsetMs: 0, latencyMs: 1, source: 'execution' },
    db: { ok: true, latencyMs: 1, migration: 1, expectedMigration: 1, migrated: true, error: null },
    positions: [], equity: null,
    risk: { paused: false, pausedBy: null, halted: false, haltReason: null, killSwitch: null, cooldownUntil: null, breakers: null },
    lastDecision: null, ai: { on: false, text: 'off' },
    notifications: { telegram: 'off', telegramOn: false, backlog: 0, oldestPendingAgeMs: null, lastSentAt: null, lastError: null },
    operator: { lastActions: [] }, metrics: { url: null, error: null }, api: { url: null, error: null },
    health: { status: 'healthy', reasons: [] }, healthy: true,
  } as unknown as StatusDoc;
  const line = renderStatus(doc).split('\n').find((l) => l.startsWith('execution'))!;
  assert.ok(line.endsWith(` ${state}`), line);
});

test.run();
