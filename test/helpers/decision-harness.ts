// An in-process decision machine wired to the real MariaDB effects, on a simulated clock, for table-driven tests.
// Guarantees what a test sends is what the machine sees, and flush() waits until every effect reached the database.
import { createActor } from 'xstate';
import { decisionMachine, type DecisionInput } from '../../machines/decision.machine.js';
import { SimClock } from '../../src/clock/clock.js';
import type { Config } from '../../src/config/schema.js';
import { decisionEffects, engineConfig, type EffectsDeps } from '../../src/decision/host-effects.js';
import { emptyLearning, type LearningState } from '../../src/decision/learning.js';
import { emptyRisk } from '../../src/decision/risk.js';
import type { AlertPayload, Decision, EquityPoint, HaltCommand, PositionView, Snapshot } from '../../src/protocol/index.js';
import { testConfig } from './config.js';
import type { TestDb } from './db.js';
import { BTC } from './snapshots.js';

const log = { info: () => {}, warn: () => {}, error: () => {} };

export interface H {
  clock: SimClock;
  config: Config;
  made: Decision[];
  halts: HaltCommand[];
  alerts: AlertPayload[];
  snap(s: Snapshot): Decision;
  position(symbol: string, side: 'long' | 'short' | null): void;
  equity(equity: number, dayPnl: number, weekPnl: number): void;
  closed(id: number, pnl: number, decisionId?: string | null): void;
  send(e: Parameters<ReturnType<typeof createActor<typeof decisionMachine>>['send']>[0]): void;
  state(): unknown;
  context(): ReturnType<ReturnType<typeof createActor<typeof decisionMachine>>['getSnapshot']>['context'];
  flush(): Promise<void>;
}

/** Extra wiring: machine input (e.g. the Sentinel mode) and a Sentinel whose reviews come back as `decision.sentinel`. */
export interface HarnessExtra {
  input?: Partial<DecisionInput>;
  sentinel?: EffectsDeps['sentinel'];
}

type Harness = ((t0: number, overrides: Record<string, unknown>, learning?: LearningState, extra?: HarnessExtra) => H) & { closeAll(): Promise<void> };

/** Harness factory on a test database; `closeAll()` drains every harness's writes (call it before dropping the DB). */
export const harnessOn = (db: TestDb): Harness => {
  const open: Array<{ close(): Promise<void> }> = [];
  const make = (t0: number, overrides: Record<string, unknown>, learning: LearningState = emptyLearning(), extra: HarnessExtra = {}): H => {
    const config = testConfig(overrides);
    const clock = new SimClock(t0);
    let ref: { send(e: Parameters<ReturnType<typeof createActor<typeof decisionMachine>>['send']>[0]): void } | null = null;
    const fx = decisionEffects({
      pool: db.pool, config, now: () => clock.now(), log, onLearning: (l) => ref?.send({ type: 'decision.learning', learning: l }),
      ...(extra.sentinel ? { sentinel: extra.sentinel, onSentinel: (result) => ref?.send({ type: 'decision.sentinel', result }) } : {}),
    });
    const input: DecisionInput = { cfg: engineConfig(config), now: () => clock.now(), fallbackEquity: 10_000, risk: emptyRisk(), prev: {}, prevDir: {}, decidedTs: {}, learning, ...extra.input };
    open.push(fx);
    const actor = createActor(decisionMachine.provide({ actions: fx.actions }), { clock, input });
    const made: Decision[] = [];
    const halts: HaltCommand[] = [];
    const alerts: AlertPayload[] = [];
    actor.on('decision.made', (e) => made.push(e.payload));
    actor.on('decision.halt', (e) => halts.push(e.payload));
    actor.on('decision.alert', (e) => alerts.push(e.payload));
    actor.start();
    ref = actor;
    const view = (symbol: string, side: 'long' | 'short' | null): PositionView => ({ symbol, positionId: side ? 1 : null, side, qty: side ? '0.1' : '0', entryPrice: side ? '30000' : null, stopLoss: side ? '29850' : null, takeProfit: null, unrealizedPnl: '0' });
    return {
      clock, config, made, halts, alerts,
      snap: (s) => {
        if (s.ts > clock.now()) clock.advanceTo(s.ts);
        actor.send({ type: 'decision.snapshot', snapshot: s });
        return made[made.length - 1]!;
      },
      position: (symbol, side) => actor.send({ type: 'decision.position', position: view(symbol, side) }),
      equity: (equity, dayPnl, weekPnl) => {
        const e: EquityPoint = { ts: clock.now(), equity: String(equity), balance: String(equity), unrealizedPnl: '0', dayPnl: String(dayPnl), weekPnl: String(weekPnl) };
        actor.send({ type: 'decision.equity', equity: e });
      },
      closed: (id, pnl, decisionId = null) => actor.send({ type: 'decision.closed', event: { positionId: id, symbol: BTC, side: 'long', qty: '0.1', entryPrice: '30000', exitPrice: '29900', realizedPnl: String(pnl), fees: '0', decisionId } }),
      send: (e) => actor.send(e),
      state: () => actor.getSnapshot().value,
      context: () => actor.getSnapshot().context,
      flush: () => fx.flush(),
    };
  };
  return Object.assign(make, { closeAll: async () => void (await Promise.all(open.splice(0).map((f) => f.close()))) });
};
