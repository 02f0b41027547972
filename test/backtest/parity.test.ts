// Live/backtest parity: two days of the shared candles through the real daemon (`bosun run`, six workers, paper mode on
// the embedded venue replaying the file with `venue.matching: "bars"`, accelerated clock) and through runBacktest give
// the same decisions and the same fills. Compared exactly: every decision id (snapshot time) with its verdict, vetoes and
// intent (side, qty, stop) from the decisions table vs BacktestRun.decisions; every fill's client order id, side, qty,
// price, fee and time from the fills table vs BacktestRun.fills. The window is the live runtime's: from its first
// decision (before it, the daemon is starting while the venue's clock already runs; the backtest is started at the same
// candle with the same history) to `SETTLE` minutes before the file ends. Skips when ../shared/data is absent.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configIdentity } from '../../src/backtest/config-hash.js';
import { runBacktest } from '../../src/backtest/engine.js';
import { loadConfig } from '../../src/config/load.js';
import type { Candle } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/config.js';
import { daemonConfig, startDaemon } from '../helpers/daemon.js';
import { createTestDb } from '../helpers/db.js';
import { BTC, BTC_FILE, loadBtcCandles, missing } from '../helpers/market-data.js';
import { waitFor } from '../helpers/wait.js';

const MINUTE = 60_000;
/** History the venue serves before its clock starts (= the analytics warm-up window). */
const HISTORY = 1440;
const DAYS = Number(process.env.BOSUN_PARITY_DAYS ?? 2);
/** Simulated minutes per wall second × 60: 2 days take about 72 s of wall time at 2400. */
const SPEED = Number(process.env.BOSUN_PARITY_SPEED ?? 2400);
/** Minutes at the end of the file that are not compared (the daemon is stopped while they play). */
const SETTLE = 30;
const FULL_MS = 300_000;

const absent = missing(BTC_FILE);

interface Line {
  id: string;
  ts: number;
  verdict: string;
  vetoes: string;
  intent: string;
}

const fillKey = (f: { clientId: string | null; side: string; qty: string | number; price: string | number; fee: string | number; ts: number }) =>
  `${f.ts} ${f.clientId} ${f.side} ${Number(f.qty)} @ ${Number(f.price)} fee ${Number(f.fee)}`;

(absent ? test.skip : test)(`${DAYS} days of the shared candles: the six-worker daemon and the backtest decide and fill alike`, async () => {
  const all = loadBtcCandles()!;
  const file = all.slice(0, HISTORY + DAYS * 1440);
  const dir = tempDir('parity');
  const csv = join(dir, 'btcusdt-parity.csv');
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${file.map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
  const db = await createTestDb('parity');
  const overrides = {
    symbols: [BTC],
    clock: { speed: SPEED },
    analytics: { warmupCandles: HISTORY, fullSnapshotSec: FULL_MS / 1000 },
    venue: { matching: 'bars', market: { source: 'replay_csv', files: { [BTC]: csv }, dbUrl: null }, historyMinutes: HISTORY },
  };
  const end = file.at(-1)!.openTime + MINUTE;
  const cut = end - SETTLE * MINUTE;
  const d = startDaemon({ dbUrl: db.url, dir, overrides, env: { BOSUN_LOG_FORMAT: 'json' } });
  let live: Line[];
  let liveFills: string[];
  try {
    await d.waitRunning(60_000);
    await waitFor('the venue to play the file to its end', async () => {
      const r = await db.pool.query<Array<{ t: number | null }>>("SELECT MAX(open_time) AS t FROM candles WHERE tf = '1m'");
      return Number(r[0]?.t ?? 0) + MINUTE >= cut + SETTLE * MINUTE / 2;
    }, (DAYS * 1440 * 60_000) / SPEED + 60_000, 500);
    const rows = await db.pool.query<Array<{ id: string; ts: number; verdict: string; vetoes: string | string[]; intent: unknown }>>('SELECT id, ts, verdict, vetoes, intent FROM decisions WHERE ts <= ? ORDER BY ts', [cut]);
    live = rows.map((r) => {
      const vetoes = (typeof r.vetoes === 'string' ? JSON.parse(r.vetoes) : r.vetoes) as Array<{ code: string }>;
      const intent = (typeof r.intent === 'string' ? JSON.parse(r.intent) : r.intent) as { side: string; qty: string; stopLoss: string } | null;
      return { id: r.id, ts: Number(r.ts), verdict: r.verdict, vetoes: vetoes.map((v) => v.code).join(','), intent: intent ? `${intent.side} ${intent.qty} stop ${intent.stopLoss}` : '' };
    });
    const fr = await db.pool.query<Array<{ client_id: string | null; side: string; qty: string; price: string; fee: string; ts: number }>>('SELECT client_id, side, qty, price, fee, ts FROM fills WHERE ts <= ? ORDER BY ts, id', [cut]);
    if (process.env.BOSUN_PARITY_DEBUG) {
      const os = await db.pool.query<Array<Record<string, unknown>>>('SELECT client_id, leg, side, type, qty, stop_price, status, last_error, created_at, updated_at FROM orders ORDER BY id');
      console.log(os.map((o) => JSON.stringify(o)).join('\n'));
      const ps = await db.pool.query<Array<Record<string, unknown>>>('SELECT * FROM positions ORDER BY id');
      console.log(ps.map((o) => JSON.stringify(o)).join('\n'));
    }
    liveFills = fr.map((f) => fillKey({ clientId: f.client_id, side: f.side, qty: f.qty, price: f.price, fee: f.fee, ts: Number(f.ts) }));
  } catch (err) {
    const r = await db.pool.query<Array<{ t: number | null; n: number }>>("SELECT MAX(open_time) AS t, COUNT(*) AS n FROM candles WHERE tf = '1m'").catch(() => []);
    console.log(`daemon output (last candle ${JSON.stringify(r[0] ?? null)}, file ends ${end}):\n${d.output().slice(0, 8000)}`);
    throw err;
  } finally {
    await d.stop();
    await db.drop();
  }
  assert.ok(live.length > 200, `the daemon decided ${live.length} times`);
  // The backtest starts where the daemon's decisions start, with the same candles before it as history.
  const first = live[0]!.ts;
  const warmEnd = first % FULL_MS === 0 ? first - FULL_MS : first;
  const { config } = loadConfig(daemonConfig({ dbUrl: 'mariadb://root@127.0.0.1:3306/unused', dir, overrides }).configFile, {});
  const history: Candle[] = file.filter((c) => c.openTime + MINUTE <= warmEnd);
  const run = await runBacktest({ config, identity: configIdentity(config), candles: file.filter((c) => c.openTime + MINUTE > warmEnd), warmup: history, source: { name: 'parity', sha256: '0'.repeat(64) } });
  const bt: Line[] = run.decisions.filter((x) => x.ts >= first && x.ts <= cut).map((x) => ({ id: x.decisionId, ts: x.ts, verdict: x.verdict, vetoes: x.vetoes.join(','), intent: x.intent ? `${x.intent.side} ${x.intent.qty} stop ${x.intent.stopLoss}` : '' }));
  const btFills = run.fills.filter((f) => f.ts <= cut && f.ts > first).map((f) => fillKey(f));
  const fmt = (l: Line) => `${l.id} ${l.verdict} [${l.vetoes}] ${l.intent}`;
  const diff = (a: string[], b: string[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `first difference at #${i}:\n  live     ${a[i]}\n  backtest ${b[i]}`;
    return '';
  };
  console.log(`parity: ${live.length} decisions (${live.filter((l) => l.intent).length} intents), ${liveFills.length} fills from ${new Date(first).toISOString()} to ${new Date(cut).toISOString()}`);
  if (process.env.BOSUN_PARITY_DEBUG) {
    console.log(`live intents:\n${live.filter((l) => l.intent).map(fmt).join('\n')}\nbacktest intents:\n${bt.filter((l) => l.intent).map(fmt).join('\n')}`);
    console.log(`live fills:\n${liveFills.join('\n')}\nbacktest fills:\n${btFills.join('\n')}`);
  }
  assert.is(diff(live.map(fmt), bt.map(fmt)), '', 'decisions');
  assert.is(diff(liveFills, btFills), '', 'fills');
  assert.ok(liveFills.length >= 4, `fills to compare: ${liveFills.length}`);
});

test.run();
