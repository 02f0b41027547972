// The exchange account on the simulated venue through real ccxt: position mode, leverage brackets (maximum and the
// position cap, -2027), margin type set per symbol, and the start-up check that refuses hedge mode and a leverage
// above a symbol's bracket maximum.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAccount, notionalCapAt } from '../../src/exchange/account-check.js';
import { ExchangeError } from '../../src/exchange/errors.js';
import { ConfigError } from '../../src/errors.js';
import { testConfig } from '../helpers/config.js';
import { quietLog, startTestVenue, type TestVenue } from '../helpers/venue-server.js';

const BTC = 'BTC/USDT:USDT';
const SOL = 'SOL/USDT:USDT';
const venues: TestVenue[] = [];
test.after(async () => {
  for (const v of venues) await v.stop().catch(() => undefined);
});

test('one-way account: brackets as Binance shapes them (SOL at most 75), margin type set (already set is fine), positions read', async () => {
  const v = await startTestVenue('acct1', { symbols: [BTC, SOL] });
  venues.push(v);
  const gw = v.gateway();
  assert.is(await gw.fetchPositionMode(), 'one_way');
  const b = await gw.fetchLeverageBrackets([BTC, SOL]);
  assert.is(b.get(SOL)![0]!.maxLeverage, 75);
  assert.is(b.get(BTC)![0]!.maxLeverage, 125);
  assert.is(notionalCapAt(b.get(BTC)!, 125), 50_000, 'at 125x a BTC position is capped at its first bracket');
  assert.is(notionalCapAt(b.get(BTC)!, 20), 100_000_000);
  const config = testConfig({ symbols: [BTC, SOL], risk: { leverage: 20, marginType: 'isolated' } });
  const r = await checkAccount(gw, config, quietLog);
  assert.equal([r.positionMode, r.symbols[SOL]!.maxLeverage, r.symbols[SOL]!.marginType], ['one_way', 75, 'isolated']);
  const raw = (await gw.ex.fapiPrivateV2GetPositionRisk()) as Array<{ symbol: string; marginType: string }>;
  assert.equal(raw.map((x) => x.marginType), ['isolated', 'isolated']);
  await checkAccount(gw, config, quietLog); // already isolated: -4046 is success
  assert.equal(await gw.fetchPositions(), []);
});

test('a leverage above a symbol bracket maximum is refused naming the maximum; a position above its bracket cap is refused (-2027)', async () => {
  const v = await startTestVenue('acct2', { symbols: [BTC, SOL] });
  venues.push(v);
  const gw = v.gateway();
  const config = testConfig({ symbols: [BTC, SOL], risk: { leverage: 100 } });
  try {
    await checkAccount(gw, config, quietLog);
    assert.unreachable('leverage 100 on SOL must be refused');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match((err as Error).message, /SOL\/USDT:USDT's maximum leverage 75/);
    assert.match((err as Error).message, /at most 75/);
  }
  await gw.setLeverage(BTC, 125);
  const mark = (await gw.fetchMarkPrice(BTC)).markPrice;
  const qty = (Math.ceil((60_000 / mark) * 1000) / 1000).toFixed(3);
  try {
    await gw.createOrder({ symbol: BTC, clientId: 'acct-big', side: 'buy', type: 'market', qty });
    assert.unreachable('a 60k notional at 125x passes the 50k cap');
  } catch (err) {
    assert.ok(err instanceof ExchangeError && err.kind === 'definitive', String(err));
    assert.match((err as Error).message, /-2027|maximum allowable position/);
  }
  // An open position keeps its margin type: the check warns and goes on.
  await gw.createOrder({ symbol: BTC, clientId: 'acct-small', side: 'buy', type: 'market', qty: '0.01' });
  const r = await checkAccount(gw, testConfig({ symbols: [BTC], risk: { leverage: 20, marginType: 'isolated' } }), quietLog);
  assert.is(r.symbols[BTC]!.marginType, 'unchanged');
  assert.match(r.warnings[0]!, /margin type not set to isolated/);
});

test('a hedge-mode account is refused, naming hedge mode and the setting; its venue refuses one-way orders', async () => {
  const v = await startTestVenue('acct3', { venue: { account: { positionMode: 'hedge', marginType: 'cross' } } });
  venues.push(v);
  const gw = v.gateway();
  assert.is(await gw.fetchPositionMode(), 'hedge');
  try {
    await checkAccount(gw, v.config, quietLog);
    assert.unreachable('hedge mode must be refused');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match((err as Error).message, /hedge mode/);
    assert.match((err as Error).message, /venue\.account\.positionMode/);
  }
  // One-way orders are refused by a hedge account, as on Binance.
  await gw.createOrder({ symbol: BTC, clientId: 'acct-h1', side: 'buy', type: 'market', qty: '0.01' }).then(
    () => assert.unreachable('a one-way order on a hedge account'),
    (err: unknown) => assert.match((err as Error).message, /-4061|position side/),
  );
});

test.run();
