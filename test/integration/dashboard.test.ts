// The dashboard in a real browser (playwright-core driving Debian's chromium) against the real paper daemon: log in with
// the token, watch a position and the equity update live, submit a manual sentiment and find it in MariaDB, pause and
// resume (recorded in operator_actions as api:<token id>), no console error; an overview screenshot is kept.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenId } from '../../src/api/token.js';
import { fromRoot } from '../../src/paths.js';
import { tradingOverrides } from '../helpers/chaos.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { startDaemon, type DaemonHandle } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token-0123456789abcdef';
export const ARTIFACTS = fromRoot('test-artifacts');

let db: TestDb | null = null;
let d: DaemonHandle | null = null;
let ctx: BrowserContext | null = null;
let profile: string | null = null;

const present = existsSync(CHROMIUM);
if (!present && process.env.CI) {
  // CI installs chromium (.ci/run): its absence there is a broken setup, not a reason to skip.
  test('chromium is installed', () => assert.unreachable(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`));
} else if (!present) {
  console.log(`skip: ${CHROMIUM} is not installed (apt-get install chromium); the browser test runs in CI`);
  test.skip('the dashboard in a real browser');
} else {
  test.before(async () => {
    db = await createTestDb('dashboard');
    const trade = tradingOverrides('http://unused', ['BTC/USDT:USDT']);
    const { url: _url, ...exchange } = trade.exchange;
    d = startDaemon({ dbUrl: db.url, env: { BOSUN_API_TOKEN: TOKEN }, overrides: { ...trade, exchange, log: { level: 'info' } } });
    await d.waitRunning();
    profile = mkdtempSync(join(tmpdir(), 'bosun-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  test.after(async () => {
    await ctx?.close().catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
    await d?.stop();
    await db?.drop();
  });

  test('log in, live position and equity, a manual sentiment stored, pause and resume recorded, no console error', async () => {
    const url = await d!.waitApi();
    const page: Page = ctx!.pages()[0] ?? (await ctx!.newPage());
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

    await page.goto(url);
    await page.fill('#token', 'not-the-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:has-text("wrong token")');
    // The failed login answered 401: that network error is the browser's own log line, not the page's.
    problems.length = 0;
    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#overview:not([hidden])');
    await page.waitForSelector('#live:has-text("live")', { timeout: 20_000 });
    await page.waitForSelector('#actors tbody tr >> nth=5');
    // Each actor's heap (in use / held, MB) from its heartbeats.
    const heaps = await waitFor('every actor row shows its heap', async () => {
      const cells = await page.locator('#actors tbody tr td:nth-child(9)').allInnerTexts();
      return cells.length === 6 && cells.every((c) => /^\d+\/\d+$/.test(c)) ? cells : null;
    }, 20_000, 250);
    assert.ok(heaps);

    // A position appears in the table while the page stays open (pushed over the WebSocket, the page not reloaded).
    const pos = await waitFor('a position on the page', async () => ((await page.locator('#positions tbody tr.position').count()) > 0 ? true : null), 120_000, 250);
    assert.ok(pos);
    const row = await page.locator('#positions tbody tr.position').first().innerText();
    assert.match(row, 'BTC/USDT:USDT');
    const [dbPos] = await db!.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM positions WHERE status IN ('open', 'closed')");
    assert.ok(Number(dbPos!.n) >= 1, 'the position on the page is in the database');

    // Equity: new points arrive live and the figure on the page follows the latest one in MariaDB.
    await page.waitForSelector('#equity-chart canvas', { timeout: 60_000 });
    const before = await page.locator('#s-equity').innerText();
    const [c0] = await db!.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM equity_curve');
    await waitFor('a new equity point in MariaDB', async () => {
      const [c] = await db!.pool.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM equity_curve');
      return Number(c!.n) > Number(c0!.n);
    }, 60_000, 250);
    await waitFor('the equity on the page to follow the latest point', async () => {
      const [e] = await db!.pool.query<Array<{ equity: string }>>('SELECT equity FROM equity_curve ORDER BY ts DESC, id DESC LIMIT 1');
      const shown = (await page.locator('#s-equity').innerText()).replace(/,/g, '');
      return Math.abs(Number(shown) - Number(e!.equity)) < 0.01 ? shown : null;
    }, 30_000, 250);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
    console.log(`equity on the page went ${before} → ${await page.locator('#s-equity').innerText()}; screenshot ${join(ARTIFACTS, 'dashboard-overview.png')}`);

    // A manual sentiment: a bad score is refused on the page (nothing written), a good one is stored.
    await page.click('nav a[href="#inputs"]');
    await page.fill('#f-sentiment input[name=score]', '1.5');
    await page.fill('#f-sentiment input[name=comment]', 'dashboard test: mildly bullish');
    await page.click('#f-sentiment button[type=submit]');
    await page.waitForSelector('#f-sentiment .ok:has-text("stored")');
    const [mi] = await db!.pool.query<Array<{ kind: string; payload: string | { score: number; comment: string } }>>('SELECT kind, payload FROM manual_inputs ORDER BY id DESC LIMIT 1');
    const payload = typeof mi!.payload === 'string' ? JSON.parse(mi!.payload) : mi!.payload;
    assert.equal([mi!.kind, payload.score, payload.comment], ['sentiment', 1.5, 'dashboard test: mildly bullish']);
    await page.fill('#f-liquidations textarea[name=json]', '{"asOf":"2024-03-12","clusters":[{"price":-5,"side":"up","notionalUsd":1}]}');
    await page.click('#f-liquidations button[type=submit]');
    await page.waitForSelector('#f-liquidations .issues:has-text("clusters[0].price")');
    assert.match(await page.locator('#f-liquidations .issues').innerText(), 'clusters[0].side');
    const [nLiq] = await db!.pool.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM manual_inputs WHERE kind = 'liquidations'");
    assert.is(Number(nLiq!.n), 0, 'a rejected map writes nothing');
    problems.splice(0, problems.length, ...problems.filter((p) => !/status of 400/.test(p)));

    // Pause and resume, each confirmed, each recorded with who.
    await page.click('nav a[href="#controls"]');
    for (const action of ['pause', 'resume'] as const) {
      await page.click(`button[data-action=${action}]`);
      await page.waitForSelector('#confirm:not([hidden])');
      await page.click('#confirm-yes');
      await page.waitForSelector(`#action-result:has-text("${action} done")`, { timeout: 30_000 });
    }
    const acts = await db!.pool.query<Array<{ action: string; by_whom: string; source: string; status: string }>>(
      "SELECT action, by_whom, source, status FROM operator_actions WHERE action IN ('pause', 'resume', 'input.sentiment') ORDER BY id");
    assert.equal(acts.map((a) => [a.action, a.source, a.status]), [['input.sentiment', 'api', 'ok'], ['pause', 'api', 'ok'], ['resume', 'api', 'ok']]);
    for (const a of acts) assert.is(a.by_whom, `api:${tokenId(TOKEN)}@127.0.0.1`);
    await waitFor('every actor resumed', async () => ((await d!.status()).risk.paused ? null : true), 10_000, 100);
    await page.waitForSelector('#actions tbody tr >> nth=1');

    // Every page renders.
    for (const p of ['trades', 'decisions', 'backtests', 'logs', 'overview']) {
      await page.click(`nav a[href="#${p}"]`);
      await page.waitForSelector(`#${p}:not([hidden])`);
    }
    await page.waitForTimeout(500);
    assert.equal(problems, [], 'no console error');
    assert.not.match(d!.output(), TOKEN, 'the token never reaches the log');
  });
}

test.run();
