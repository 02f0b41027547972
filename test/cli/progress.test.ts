// Progress on long work: a backtest in a terminal shows a bar (done / total, rate, ETA) on stderr; piped, it says nothing.
// Guarantees the piped output is exactly what it was without a bar (scripts parse it).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { BOSUN, cliAsync } from '../helpers/daemon.js';
import { synthCandles } from '../helpers/market-data.js';

const dir = tempDir('progress');
let db: TestDb;
let cfgFile: string;
const csv = join(dir, 'candles.csv');
test.before(async () => {
  db = await createTestDb('progress');
  cfgFile = writeConfig(dir, { db: { url: db.url }, analytics: { fullSnapshotSec: 300 } }, 'paper');
  writeFileSync(csv, `open_time,open,high,low,close,volume\n${synthCandles(3000).map((c) => `${c.openTime},${c.open},${c.high},${c.low},${c.close},${c.volume}`).join('\n')}\n`);
});
test.after(async () => db.drop());

// util-linux `script` and a pseudo-terminal it can open (a chroot or container without /dev/pts has none).
const hasScript = spawnSync('script', ['--version']).status === 0;
const hasPty = hasScript && spawnSync('script', ['-qec', 'true', '/dev/null'], { encoding: 'utf8', timeout: 10_000 }).status === 0;

test('piped: no bar, nothing on stderr', async () => {
  const r = await cliAsync(['backtest', '--config', cfgFile, '--data', csv, '-q'], {}, 120_000);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.not.match(r.stdout, 'candles/s');
});

(hasPty ? test : test.skip)('in a terminal: the bar with done / total, rate and ETA', () => {
  // util-linux `script` gives the command a pseudo-terminal and copies what it wrote.
  const cmd = `${process.execPath} ${BOSUN} backtest --config ${cfgFile} --data ${csv} -q`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TERM: 'xterm' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /backtest BTC\/USDT:USDT \[.*\] \d+% \| \d+\/3000 candles \| [0-9.]+ candles\/s \| ETA /);
  assert.match(r.stdout, 'recorded as backtest run');
});
if (!hasPty) console.log(hasScript ? 'skip: `script` could not open a pseudo-terminal here (no /dev/pts): no terminal for the bar' : 'skip: util-linux `script` is not installed (no pseudo-terminal for the bar)');

test.run();
