// The daily summary reads the day from MariaDB: equity and PnL, trades closed (net of fees), open positions, decisions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dailySummary, summaryId } from '../../src/notify/summary.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

let db: TestDb;
test.before(async () => {
  db = await createTestDb('summary');
});
test.after(async () => db.drop());

const DAY = Date.UTC(2026, 2, 4);
const DUE = DAY + 20 * 3_600_000;

test('one summary per UTC day, with the numbers of that day', async () => {
  const q = (sql: string, p: unknown[]) => db.pool.query(sql, p);
  await q("INSERT INTO equity_curve (ts, equity, balance, unrealized_pnl, source) VALUES (?, '10000', '10000', '0', 't'), (?, '10150.5', '10100', '50.5', 't')", [DAY + 1000, DUE - 1000]);
  const pos = "INSERT INTO positions (symbol, side, status, qty, entry_price, exit_price, stop_loss, realized_pnl, fees, opened_at, closed_at, updated_at) VALUES (?, ?, ?, '0.01', '30000', ?, ?, ?, ?, ?, ?, 0)";
  await q(pos, ['BTC/USDT:USDT', 'long', 'closed', '31000', '29500', '10', '0.24', DAY + 2000, DAY + 3000]);
  await q(pos, ['ETH/USDT:USDT', 'short', 'closed', '2100', '2200', '-5', '0.1', DAY + 4000, DAY + 5000]);
  await q(pos, ['BTC/USDT:USDT', 'long', 'closed', '31000', '29500', '99', '0', DAY - 90_000_000, DAY - 80_000_000]);
  await q(pos, ['BTC/USDT:USDT', 'long', 'open', null, '29400', '0', '0.1', DAY + 6000, null]);
  const dec = "INSERT INTO decisions (id, symbol, ts, strategy, verdict, score, vetoed, vetoes, source_votes, reasoning, created_at) VALUES (?, 'BTC/USDT:USDT', ?, 's', ?, 0, 0, '[]', '{}', '', ?)";
  for (const [i, v] of ['BUY', 'NEUTRAL', 'NEUTRAL'].entries()) await q(dec, [`d${i}`, DAY + i, v, DAY + 10_000 + i]);
  const n = await dailySummary(db.pool, DUE);
  assert.is(n.sourceId, summaryId(DUE));
  assert.is(n.sourceId, 'summary-2026-03-04');
  assert.is(n.code, 'summary.daily');
  assert.match(n.text, 'equity 10150.50 (balance 10100.00); PnL today 150.50');
  assert.match(n.text, 'trades closed today: 2 (1 won), net 4.66 after fees');
  assert.match(n.text, 'open: long 0.01 BTC/USDT:USDT @ 30000 stop 29400');
  assert.match(n.text, 'decisions today: BUY 1, NEUTRAL 2');
});

test.run();
