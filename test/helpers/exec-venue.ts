// The execution machine on its real effects (ExecutionEffects: CcxtGateway, user-data stream, MariaDB ledger) against
// the loopback venue at speed 1 with a steered market. Guarantees integration tests exercise the worker's exact order
// flow through ccxt, HTTP and WebSocket; only the decisions and the market's price are scripted by the test.
import { createActor } from 'xstate';
import { executionMachine, slotStates } from '../../machines/execution.machine.js';
import { ScaledClock } from '../../src/clock/clock.js';
import type { Config } from '../../src/config/schema.js';
import { ExecutionEffects } from '../../src/execution/effects.js';
import type { Decision, Intent, Side } from '../../src/protocol/index.js';
import { steeredMarket, type SteeredMarket } from './steered-market.js';
import { quietLog, startTestVenue, type TestVenue } from './venue-server.js';
import { waitFor } from './wait.js';
import { executionInput } from '../../src/execution/input.js';

export const BTC = 'BTC/USDT:USDT';

export interface ExecRig {
  tv: TestVenue;
  fx: ExecutionEffects;
  actor: ReturnType<typeof createActor<typeof executionMachine>>;
  market: SteeredMarket;
  config: Config;
  now(): number;
  trade(): string;
  decide(i: Partial<Intent> & { side: Side; reference: number }): Intent;
  stop(): Promise<void>;
}

let seq = 0;

export async function startExec(tag: string, execution: Record<string, unknown> = {}, prices: Record<string, number> = { [BTC]: 30_000, 'ETH/USDT:USDT': 2000 }, volume = 1000): Promise<ExecRig> {
  const market = steeredMarket(prices, volume);
  const tv = await startTestVenue(tag, { clock: { speed: 1 }, execution }, { source: market.source, speed: 1, maxStepsPerMinute: 600, historyMinutes: 30 });
  market.attach(tv.server.venue);
  const config = tv.config;
  const gw = tv.gateway();
  const now = () => tv.server.venue.now();
  const fx = new ExecutionEffects({ config, pool: tv.db.pool, log: quietLog, now, gateway: async () => gw });
  const clock = new ScaledClock(tv.server.venue.clock);
  const actor = createActor(executionMachine.provide({ actors: fx.actors() }), {
    clock, input: executionInput(config, () => clock.now(), { loopMs: config.execution.loopMs, idleLoopMs: config.execution.idleLoopMs, reconcileTimeoutMs: config.execution.reconcileTimeoutMs }),
  });
  fx.attach(actor);
  // Marks as market-feed would deliver them (markPrice@1s), read from the venue.
  const marks = setInterval(() => {
    for (const s of config.symbols) {
      const m = tv.server.venue.core.mark(s);
      if (m !== undefined) fx.onMark(s, m);
    }
  }, 50);
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  /** The symbol's lifecycle state (its position machine) when ready; else the account's state. */
  const trade = (symbol: string = BTC) => {
    const v = actor.getSnapshot().value as string | { ready?: { book: string }; halted?: string };
    if (typeof v === 'string') return v;
    if (!v.ready) return `halted.${v.halted}`;
    if (v.ready.book === 'flattening') return 'flattening';
    return slotStates(actor.getSnapshot().context).find((s) => s.symbol === symbol)?.phase ?? 'flat';
  };
  await waitFor('execution ready', () => trade() === 'flat', 20_000);
  return {
    tv, fx, actor, market, config, now, trade,
    decide: (o) => {
      const ref = o.reference;
      const long = o.side === 'long';
      const id = `it-${tag}-${++seq}`;
      const intent: Intent = {
        decisionId: id, symbol: BTC, entry: { reference: String(ref), low: String(ref * 0.995), high: String(ref * 1.005) },
        stopLoss: String(long ? ref * 0.98 : ref * 1.02), takeProfits: [{ price: String(long ? ref * 1.04 : ref * 0.96), fraction: 1 }],
        qty: '0.01', notional: String(ref * 0.01), maxSlippage: 0.003, expiresAt: now() + 60_000, confidence: 1, allowMarket: false, ...o,
      } as Intent;
      delete (intent as Partial<Intent> & { reference?: number }).reference;
      const d: Decision = { decisionId: id, symbol: BTC, ts: now(), strategy: 'test', verdict: long ? 'BUY' : 'SELL', score: 1, vetoes: [], intent, reasoning: '' };
      actor.send({ type: 'execution.decision', decision: d });
      return intent;
    },
    stop: async () => {
      clearInterval(marks);
      actor.stop();
      await fx.dispose();
      await tv.stop();
      if (errors.length) throw errors[0];
    },
  };
}
