// Manual inputs: the schemas name every bad field and why (unit), and `bosun input …` end to end against
// MariaDB: good inputs are stored with history; a bad one exits 65 naming the field, writes nothing, and
// the previous value stays in force.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asOfMs, describeIssues, SCHEMAS, type ManualKind } from '../../src/analytics/manual-inputs.js';
import { ExitCode } from '../../src/errors.js';
import { countManualInputs, latestManualInputs } from '../../src/store/repos/manual-inputs.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cli } from '../helpers/daemon.js';

let db: TestDb;
let cfg: string;
const dir = tempDir('manual');
const file = (name: string, body: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body));
  return f;
};
const input = (...args: string[]) => cli(['input', ...args, '--config', cfg]);
const issues = (kind: ManualKind, v: unknown) => {
  const r = SCHEMAS[kind].safeParse(v);
  return r.success ? [] : describeIssues(r.error);
};

test.before(async () => {
  db = await createTestDb('manual');
  cfg = writeConfig(dir, { db: { url: db.url } });
});
test.after(async () => db.drop());

test('schemas: each bad field is named with the reason', () => {
  assert.equal(issues('sentiment', { score: 2.5, comment: '' }), ['score: must be between -2 (very bearish) and 2 (very bullish)']);
  assert.match(issues('sentiment', { score: Number.NaN, comment: '' })[0]!, /^score: /);
  assert.equal(issues('etf_flow', { asOf: '13/03/2024', totalNetFlowUsd: 1 }), ['asOf: expected an ISO date (2024-03-12) or date-time with a zone (2024-03-12T16:00:00Z)']);
  assert.match(issues('etf_flow', { asOf: '2024-03-13', totalNetFlowUsd: 1, funds: [{ ticker: 'ibit?', netFlowUsd: 1 }] })[0]!, /^funds\[0\]\.ticker: expected a fund ticker/);
  const liq = issues('liquidations', { asOf: '2024-03-12T16:00', clusters: [{ price: 60000, side: 'long', notionalUsd: 5e6 }, { price: -1, side: 'shrt', notionalUsd: 1 }] });
  assert.ok(liq.some((l) => l.startsWith('asOf: ')), 'a date-time without a zone is ambiguous');
  assert.ok(liq.some((l) => l.startsWith('clusters[1].price: ')));
  assert.ok(liq.some((l) => l.startsWith('clusters[1].side: ')));
  assert.equal(issues('liquidations', { asOf: '2024-03-12T16:00:00Z', clusters: [] }), ['clusters: needs at least one cluster']);
  assert.is(asOfMs('2024-03-12'), Date.UTC(2024, 2, 12, 23, 59, 59, 999), 'a daily figure is known at the end of its day');
  assert.is(asOfMs('2024-03-12T20:00:00+02:00'), Date.UTC(2024, 2, 12, 18));
  assert.is(asOfMs('2024-02-30'), null);
});

test('sentiment: stored with its comment; a bad score is rejected (exit 65) and the previous one stays in force', async () => {
  const ok = input('sentiment', '--score', '-1.5', '--comment', 'banks wobbling');
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /stored sentiment #\d+/);
  const bad = input('sentiment', '--score', '3', '--comment', 'moon');
  assert.is(bad.code, ExitCode.dataError);
  assert.match(bad.stderr, 'score: must be between -2 (very bearish) and 2 (very bullish)');
  assert.match(bad.stderr, 'nothing was written');
  assert.is(await countManualInputs(db.pool), 1);
  const m = await latestManualInputs(db.pool);
  assert.is(m.sentiment!.data.score, -1.5);
  assert.is(m.sentiment!.data.comment, 'banks wobbling');
});

test('etf-flow: a file whose funds do not add up and has an unknown key, or is not JSON, is rejected naming each problem', async () => {
  const good = input('etf-flow', file('etf.json', { asOf: '2024-03-12', totalNetFlowUsd: -150e6, funds: [{ ticker: 'IBIT', netFlowUsd: 50e6 }, { ticker: 'GBTC', netFlowUsd: -200e6 }], source: 'farside' }));
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, 'as of 2024-03-12T23:59:59.999Z');
  const before = await countManualInputs(db.pool);
  const bad = input('etf-flow', file('bad.json', { asOf: '2024-03-13', totalNetFlowUsd: 100e6, funds: [{ ticker: 'IBIT', netFlowUsd: 50e6 }], flows: [] }));
  assert.is(bad.code, ExitCode.dataError);
  assert.match(bad.stderr, 'Unrecognized key: "flows"');
  assert.match(bad.stderr, 'totalNetFlowUsd: is 100000000 but the funds sum to 50000000');
  const json = input('etf-flow', file('broken.json', '{"asOf": "2024-03-13",'));
  assert.is(json.code, ExitCode.dataError);
  assert.match(json.stderr, 'is not valid JSON');
  assert.is(await countManualInputs(db.pool), before, 'nothing was written');
  const m = await latestManualInputs(db.pool);
  assert.is(m.etfFlow!.data.totalNetFlowUsd, -150e6, 'the previous ETF flow stays in force');
  assert.is(m.etfFlow!.asOf, Date.UTC(2024, 2, 12, 23, 59, 59, 999));
});

test('liquidations: history is kept and the newest map is current; other kinds untouched', async () => {
  const first = input('liquidations', file('liq1.json', { asOf: '2024-03-12T16:00:00Z', symbol: 'BTC/USDT:USDT', clusters: [{ price: 60000, side: 'long', notionalUsd: 5e6 }] }));
  assert.is(first.code, 0, first.stderr);
  const second = input('liquidations', file('liq2.json', { asOf: '2024-03-12T20:00:00+02:00', clusters: [{ price: 70000, side: 'short', notionalUsd: 8e6 }] }));
  assert.is(second.code, 0, second.stderr);
  const rows = await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM manual_inputs WHERE kind = 'liquidations'");
  assert.is(Number(rows[0]!.n), 2, 'both maps are kept as history');
  const m = await latestManualInputs(db.pool);
  assert.is(m.liquidations!.data.clusters[0]!.price, 70000);
  assert.is(m.liquidations!.asOf, Date.UTC(2024, 2, 12, 18));
  assert.is(m.sentiment!.data.score, -1.5);
});

test.run();
