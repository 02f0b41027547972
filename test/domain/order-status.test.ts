import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientOrderId, decisionId, isOurClientId, syntheticId } from '../../src/domain/ids.js';
import { InvalidTransitionError, isOpen, isTerminal, nextStatus, ORDER_EVENTS, ORDER_STATUSES } from '../../src/domain/order-status.js';

test('real-world transitions: a cancelled order can still fill; a failed cancel returns to accepted', () => {
  assert.is(nextStatus('cancelled', 'fill'), 'filled');
  assert.is(nextStatus('pending_cancel', 'fill'), 'filled');
  assert.is(nextStatus('pending_cancel', 'cancel_failed'), 'new');
  assert.is(nextStatus('pending_cancel', 'cancel_failed', true), 'partially_filled');
  assert.is(nextStatus('pending_submit', 'not_found'), 'never_placed');
  assert.is(nextStatus('pending_submit', 'fill'), 'filled');
  assert.is(nextStatus('expired', 'fill'), 'filled');
});

test('terminal states reject going back to live', () => {
  assert.instance(nextStatus('filled', 'accepted'), InvalidTransitionError);
  assert.instance(nextStatus('rejected', 'fill'), InvalidTransitionError);
  assert.instance(nextStatus('never_placed', 'accepted'), InvalidTransitionError);
  assert.instance(nextStatus('filled', 'cancelled'), InvalidTransitionError);
});

test('every (status, event) pair yields a status or an InvalidTransitionError, and open/terminal partition the statuses', () => {
  for (const s of ORDER_STATUSES) {
    assert.is(isOpen(s) !== isTerminal(s), true, s);
    for (const e of ORDER_EVENTS) {
      const r = nextStatus(s, e);
      assert.ok(r instanceof InvalidTransitionError || ORDER_STATUSES.includes(r), `${s} + ${e}`);
    }
  }
});

test('client order ids are deterministic, distinct per leg and attempt, and Binance-valid', () => {
  const d = decisionId('BTC/USDT:USDT', 'ema_rsi', 1_700_000_000_000);
  assert.is(d, 'BTCUSDTUSDT-ema_rsi-1700000000000');
  const a = clientOrderId(d, 'entry', 0);
  assert.is(a, clientOrderId(d, 'entry', 0));
  const ids = new Set([a, clientOrderId(d, 'entry', 1), clientOrderId(d, 'sl', 0), clientOrderId(d, 'tp', 0), clientOrderId(`${d}x`, 'entry', 0)]);
  assert.is(ids.size, 5);
  for (const id of ids) {
    assert.ok(id.length <= 36, id);
    assert.ok(/^[.A-Z:/a-z0-9_-]{1,36}$/.test(id), id);
    assert.ok(isOurClientId(id));
  }
  assert.not.ok(isOurClientId('web_abc123'));
  assert.throws(() => clientOrderId(d, 'entry', -1));
  assert.is(syntheticId('import', 'BTC', 1), syntheticId('import', 'BTC', 1));
});

test.run();
