// The HTTP API of the real paper daemon (port 0): open ping, 401 without or with a wrong token, status with the six
// actors, OpenAPI listing every route, a 400 naming each field's path on every POST with nothing written, a manual input
// and actions recorded as api:<token id>, the WebSocket refusing a wrong token and pushing live events, repeated auth
// failures answered 429 and logged, a backtest report through a signed link, and the bind rule (loopback unless a strong
// token is set: exit 78).
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { checkApiConfig, isLoopback, tokenId } from '../../src/api/token.js';
import type { BacktestResult } from '../../src/backtest/result.js';
import { loadConfig } from '../../src/config/load.js';
import { ExitCode } from '../../src/errors.js';
import { insertBacktestRun } from '../../src/store/repos/backtest.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { cliAsync, daemonConfig, startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'api-test-token-0123456789abcdefghij';
let db: TestDb;
let d: DaemonHandle | null = null;
let base = '';

const get = (path: string, token: string | null = TOKEN) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (path: string, body: unknown, token: string | null = TOKEN) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const count = async (table: string) => Number((await db.pool.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

test.before(async () => {
  db = await createTestDb('api');
  d = startDaemon({ dbUrl: db.url, env: { BOSUN_API_TOKEN: TOKEN }, overrides: { ops: { api: { authFailuresPerMin: 20 } } } });
  await d.waitRunning();
  base = (await d.waitApi()).replace(/\/$/, '');
});
test.after(async () => {
  await d?.stop();
  await db.drop();
});

test('listens on loopback only by default; ping is open, everything else needs the token; status lists the six actors', async () => {
  assert.ok(new URL(base).hostname === '127.0.0.1', base);
  assert.equal(await (await get('/api/v1/ping', null)).json(), { ok: true, mode: 'paper' });
  for (const p of ['/api/v1/status', '/api/v1/positions', '/api/v1/openapi.json', '/api/v1/decisions/x']) {
    assert.is((await get(p, null)).status, 401, p);
  }
  assert.is((await get('/api/v1/status', 'wrong-token')).status, 401);
  const s = await (await get('/api/v1/status')).json();
  assert.equal(s.actors.map((a: { id: string }) => a.id).sort(), ['analytics', 'decision', 'execution', 'market-feed', 'notifier', 'reconciler']);
  for (const a of s.actors) {
    assert.is(a.lifecycle, 'running');
    assert.type(a.threadId, 'number');
    assert.type(a.machineState, 'string');
  }
  assert.ok(Array.isArray(s.positions));
  const html = await (await get('/', null)).text();
  assert.match(html, '<script src="/app.js"');
  assert.not.match(html, TOKEN);
  assert.is((await get('/app.js', null)).status, 200);
});

test('openapi.json documents every route (at least 15 paths), with request schemas from the validators', async () => {
  const doc = await (await get('/api/v1/openapi.json')).json();
  const paths = Object.keys(doc.paths);
  assert.ok(paths.length >= 15, `${paths.length} paths`);
  for (const p of ['/api/v1/status', '/api/v1/positions', '/api/v1/orders', '/api/v1/trades', '/api/v1/decisions', '/api/v1/decisions/{id}', '/api/v1/equity', '/api/v1/pnl', '/api/v1/risk',
    '/api/v1/logs', '/api/v1/notifications', '/api/v1/backtests', '/api/v1/backtests/{id}/report', '/api/v1/insights', '/api/v1/manual-inputs', '/api/v1/actions/pause',
    '/api/v1/actions/kill-switch', '/api/v1/inputs/sentiment', '/api/v1/inputs/liquidations', '/api/v1/ws']) {
    assert.ok(doc.paths[p], `missing ${p}`);
  }
  const liq = doc.paths['/api/v1/inputs/liquidations'].post.requestBody.content['application/json'].schema;
  assert.ok(liq.properties.clusters, JSON.stringify(liq));
  assert.ok(doc.paths['/api/v1/orders'].get.parameters.some((p: { name: string }) => p.name === 'limit'));
});

test('every POST route: a bad body is a 400 naming each field path, and nothing is written', async () => {
  const before = { actions: await count('operator_actions'), inputs: await count('manual_inputs') };
  const cases: Array<[string, unknown, string[]]> = [
    ['/api/v1/actions/pause', { reason: 5, extra: 1 }, ['body.reason', 'body.extra']],
    ['/api/v1/actions/resume', [], ['body']],
    ['/api/v1/actions/flatten', {}, ['body.confirm']],
    ['/api/v1/actions/force-exit', { symbol: 'btc', confirm: false }, ['body.symbol', 'body.confirm']],
    ['/api/v1/actions/kill-switch', { reason: 'x'.repeat(201), confirm: true }, ['body.reason']],
    ['/api/v1/inputs/sentiment', { score: 3, comment: 7 }, ['body.score', 'body.comment']],
    ['/api/v1/inputs/etf-flow', { asOf: '2024-02-30', totalNetFlowUsd: 'lots', funds: [{ ticker: 'ibit', netFlowUsd: 1 }] }, ['body.asOf', 'body.totalNetFlowUsd', 'body.funds[0].ticker']],
    ['/api/v1/inputs/etf-flow', { asOf: '2024-03-12', totalNetFlowUsd: 100, funds: [{ ticker: 'IBIT', netFlowUsd: 40 }] }, ['body.totalNetFlowUsd']],
    ['/api/v1/inputs/liquidations', { asOf: '2024-03-12', clusters: [{ price: -1, side: 'up', notionalUsd: 1 }], flows: 1 }, ['body.clusters[0].price', 'body.clusters[0].side', 'body.flows']],
    ['/api/v1/inputs/liquidations', '{not json', ['body']],
  ];
  for (const [path, body, fields] of cases) {
    const r = await post(path, body);
    const j = await r.json();
    assert.is(r.status, 400, `${path} ${JSON.stringify(j)}`);
    assert.match(j.error, /nothing was written|JSON/);
    const got = j.issues.map((i: { path: string }) => i.path);
    for (const f of fields) assert.ok(got.includes(f), `${path}: ${f} not named in ${JSON.stringify(j.issues)}`);
  }
  assert.equal({ actions: await count('operator_actions'), inputs: await count('manual_inputs') }, before, 'nothing written');
  assert.is((await d!.status()).risk.paused, false);
});

test('manual inputs and actions take the recorded path, as api:<token id>', async () => {
  const who = `api:${tokenId(TOKEN)}@127.0.0.1`;
  const r = await post('/api/v1/inputs/liquidations', { asOf: '2024-03-12T16:00:00Z', symbol: 'BTC/USDT:USDT', clusters: [{ price: 60000, side: 'long', notionalUsd: 5e7 }] });
  assert.is(r.status, 201);
  const stored = await r.json();
  assert.ok(stored.stale, 'a 2024 map is stored but already too old to count');
  const [row] = await db.pool.query<Array<{ kind: string; source: string | null }>>('SELECT kind, source FROM manual_inputs WHERE id = ?', [stored.id]);
  assert.is(row!.kind, 'liquidations');
  const p = await (await post('/api/v1/actions/pause', { reason: 'api test' })).json();
  assert.equal([p.ok, p.by, p.recorded], [true, who, true]);
  await waitFor('paused', async () => ((await d!.status()).risk.paused ? true : null), 10_000, 100);
  assert.is((await (await post('/api/v1/actions/resume', {})).json()).ok, true);
  const acts = await db.pool.query<Array<{ action: string; by_whom: string; source: string; status: string }>>('SELECT action, by_whom, source, status FROM operator_actions ORDER BY id');
  assert.equal(acts, [
    { action: 'input.liquidations', by_whom: who, source: 'api', status: 'ok' },
    { action: 'pause', by_whom: who, source: 'api', status: 'ok' },
    { action: 'resume', by_whom: who, source: 'api', status: 'ok' },
  ]);
  const listed = await (await get('/api/v1/operator-actions?limit=2')).json();
  assert.equal(listed.map((a: { action: string }) => a.action), ['resume', 'pause']);
  assert.is((await get('/api/v1/orders?limit=abc')).status, 400);
});

test('the WebSocket refuses a wrong token and pushes live events with the right one', async () => {
  const url = `${base.replace('http', 'ws')}/api/v1/ws`;
  const bad = new WebSocket(url);
  const closed = await new Promise<number>((resolve, reject) => {
    bad.on('error', reject);
    bad.on('open', () => bad.send(JSON.stringify({ type: 'auth', token: 'nope' })));
    bad.on('close', (code) => resolve(code));
  });
  assert.is(closed, 4401);
  const ws = new WebSocket(url);
  const events: Array<{ type: string; data: unknown }> = [];
  const errors: string[] = [];
  ws.on('error', (e) => errors.push(e.message));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token: TOKEN })));
  ws.on('message', (m) => events.push(JSON.parse(String(m))));
  try {
    await waitFor('hello, then candles and equity', () => {
      if (errors.length) throw new Error(errors.join('; '));
      return ['hello', 'candle', 'equity'].every((t) => events.some((e) => e.type === t));
    }, 60_000, 100);
  } finally {
    ws.close();
  }
  const candle = events.find((e) => e.type === 'candle')!.data as { symbol: string; close: number };
  assert.is(candle.symbol, 'BTC/USDT:USDT');
  assert.type(candle.close, 'number');
});

test('a backtest run\'s HTML report: with the token, or through a signed one-minute link; a forged link is refused', async () => {
  const result = {
    kind: 'bosun.backtest', version: 1, config: { hash: 'a'.repeat(64), strategyHash: 'b'.repeat(64), strategy: 'imba', overrides: {} },
    data: { symbol: 'BTC/USDT:USDT', source: 'test.csv', sha256: 'c'.repeat(64), from: 0, to: 86_400_000, candles: 1440 },
    metrics: {
      from: 0, to: 86_400_000, days: 1, initialEquity: 10_000, finalEquity: 10_010, netPnl: 10, totalReturn: 0.001, trades: 0, wins: 0, losses: 0, winRate: null,
      grossProfit: 0, grossLoss: 0, profitFactor: null, profitFactorInfinite: false, expectancy: null, avgWin: null, avgLoss: null, fees: 0, funding: 0,
      maxDrawdown: 0.01, maxDrawdownAbs: 100, sharpe: null, sortino: null, cagr: null, calmar: null, exposure: 0, avgHoldMs: null,
      byHour: {}, byRegime: {}, byExitReason: {}, signals: { decisions: 10, signals: 0, intents: 0, rejectedByVeto: {} },
    },
    trades: [], equity: [[0, 10_000], [3_600_000, 10_010]], drawdown: [[0, 0], [3_600_000, 0]],
  } as unknown as BacktestResult;
  const id = await insertBacktestRun(db.pool, result, createHash('sha256').update('x').digest('hex'), Date.now());
  const list = await (await get('/api/v1/backtests')).json();
  assert.equal([list[0].id, list[0].hasReport], [id, true]);
  const direct = await get(`/api/v1/backtests/${id}/report`);
  assert.is(direct.status, 200);
  assert.match(await direct.text(), '"equity":[[0,10000],[3600000,10010]]');
  const link = await (await get(`/api/v1/backtests/${id}/link`)).json();
  assert.not.match(link.url, TOKEN);
  assert.is((await get(link.url, null)).status, 200);
  assert.is((await get(link.url.replace(/sig=[^&]+/, 'sig=forged'), null)).status, 401);
  assert.is((await get(`/api/v1/backtests/${id + 1000}/report`)).status, 404);
});

test('repeated auth failures: 429 with retry-after once over the limit, each failure logged; the token never in the log', async () => {
  // The earlier tests failed a few times already (within the same minute): at most 20 failures, then 429.
  const codes: number[] = [];
  for (let i = 0; i < 25 && !codes.includes(429); i++) codes.push((await get('/api/v1/status', `wrong-${i}`)).status);
  assert.ok(codes.includes(429) && codes.filter((c) => c === 401).length < 20, JSON.stringify(codes));
  const r = await get('/api/v1/status', TOKEN);
  assert.is(r.status, 429, 'locked out for the rest of the minute, even with the token');
  assert.ok(Number(r.headers.get('retry-after')) > 0);
  assert.is((await get('/api/v1/ping', null)).status, 200, 'ping stays open');
  await waitFor('failures in the logs table', async () => Number((await db.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM logs WHERE msg LIKE 'api: wrong token%'"))[0]!.n) >= 5, 10_000, 100);
  assert.not.match(d!.output(), TOKEN);
});

test('binding beyond loopback: refused at start (exit 78) without a token of at least 32 characters', async () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && !isLoopback('0.0.0.0') && !isLoopback('192.0.2.1'));
  const { configFile } = daemonConfig({ dbUrl: db.url, overrides: { ops: { api: { host: '0.0.0.0' } } } });
  const none = await cliAsync(['run', '--config', configFile], { BOSUN_API_TOKEN: '' });
  assert.is(none.code, ExitCode.config, none.stderr);
  assert.match(none.stderr, 'ops.api.host is 0.0.0.0, beyond loopback');
  assert.match(none.stderr, 'BOSUN_API_TOKEN');
  const weak = await cliAsync(['run', '--config', configFile], { BOSUN_API_TOKEN: 'short-token-31-characters-long!' });
  assert.is(weak.code, ExitCode.config);
  assert.not.match(weak.stderr + weak.stdout, 'short-token-31');
  // A strong token passes the check (the test does not bind a public address).
  const { config } = loadConfig(configFile, { ...process.env, BOSUN_DB_URL: db.url });
  checkApiConfig(config, { BOSUN_API_TOKEN: 'x'.repeat(32) });
});

test.run();
