// notifier worker: every alert and position event becomes a `notifications` row and a log line.
// Guarantees a bus message yields at most one row (unique source id), written before it counts as handled.
import { fromPromise } from 'xstate';
import { notifierMachine, type Notice } from '../machines/notifier.machine.js';
import { runActor } from '../src/host/host.js';
import type { AlertPayload, Envelope, PositionEvent } from '../src/protocol/index.js';

const fromAlert = (env: Envelope<'market.alert' | 'decision.alert' | 'execution.alert' | 'reconcile.anomaly' | 'supervisor.alert'>): Notice => {
  const a = env.payload as AlertPayload;
  return { sourceId: env.id, ts: env.tsEvent, code: a.code, severity: a.severity, text: a.text };
};

const fromPosition = (env: Envelope<'execution.position_opened' | 'execution.position_closed'>): Notice => {
  const p = env.payload as PositionEvent;
  const opened = env.type === 'execution.position_opened';
  const text = opened
    ? `opened ${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice}`
    : `closed ${p.side} ${p.qty} ${p.symbol} @ ${p.exitPrice ?? '?'} (${p.reason ?? 'unknown'}), PnL ${p.realizedPnl ?? '0'}, fees ${p.fees ?? '0'}`;
  return { sourceId: env.id, ts: env.tsEvent, code: opened ? 'position.opened' : 'position.closed', severity: 'info', text };
};

runActor(async (ctx) => {
  const { clock, log } = ctx;
  const pool = ctx.db();
  const deliver = async ({ input: { notice: n } }: { input: { notice: Notice } }) => {
    await pool.query(
      `INSERT IGNORE INTO notifications (source_id, ts, code, severity, text, status, attempts) VALUES (?, ?, ?, ?, ?, 'logged', 0)`,
      [n.sourceId, n.ts, n.code, n.severity, n.text],
    );
    const level = n.severity === 'critical' || n.severity === 'error' ? 'error' : n.severity === 'warning' ? 'warn' : 'info';
    log[level]({ code: n.code, notification: true }, n.text);
  };
  const notice = (n: Notice) => ({ type: 'notifier.notice' as const, notice: n });
  return {
    machine: notifierMachine.provide({ actors: { deliver: fromPromise(deliver) } }),
    input: { now: () => clock.now(), retryMs: 5000 },
    routes: {
      'market.alert': (env) => notice(fromAlert(env)),
      'decision.alert': (env) => notice(fromAlert(env)),
      'execution.alert': (env) => notice(fromAlert(env)),
      'reconcile.anomaly': (env) => notice(fromAlert(env)),
      'supervisor.alert': (env) => notice(fromAlert(env)),
      'execution.position_opened': (env) => notice(fromPosition(env)),
      'execution.position_closed': (env) => notice(fromPosition(env)),
    },
    details: (a) => {
      const c = a.getSnapshot().context as { queue: unknown[]; handled: number; lastError: string | null };
      return { telegram: 'disabled (no token): notifications are logged and stored only', backlog: c.queue.length, handled: c.handled, lastError: c.lastError };
    },
  };
});
