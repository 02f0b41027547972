// The operator's query layer: every read `bosun status`, Telegram and the HTTP API make, by name, with its argument
// schema (the same zod schema validates control-socket arguments and documents the API's query strings).
// Guarantees one implementation per read (the three faces cannot disagree) and bad arguments are refused, never guessed.
import type { Pool } from 'mariadb';
import { z } from 'zod';
import type { Config } from '../../config/schema.js';
import * as rec from './records.js';
import * as trd from './trading.js';

export interface QueryContext {
  pool: Pool;
  config: Config;
  /** The daemon's clock (accelerated in paper): periods and breakers are measured on it. */
  now: () => number;
}

const limit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def).describe(`rows, 1–${max} (default ${def})`);
const symbol = z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/, 'expected a symbol like BTC/USDT:USDT').optional();
const flag = z.stringbool().optional();

export const queryArgs = {
  positions: z.strictObject({}),
  orders: z.strictObject({ limit: limit(500, 100), symbol, open: flag }),
  trades: z.strictObject({ limit: limit(500, 50), symbol }),
  pnl: z.strictObject({ period: z.enum(['day', 'week', 'month']).default('day'), n: z.coerce.number().int().min(1).max(366).default(7).describe('periods, newest first') }),
  performance: z.strictObject({}),
  profit: z.strictObject({}),
  count: z.strictObject({}),
  equity: z.strictObject({ from: z.coerce.number().int().min(0).optional().describe('clock ms'), points: z.coerce.number().int().min(2).max(5000).default(1000) }),
  decisions: z.strictObject({ limit: limit(200, 50), symbol, traded: flag, before: z.coerce.number().int().optional().describe('only decisions before this clock ms (paging)') }),
  decision: z.strictObject({ id: z.string().min(1).max(64) }),
  risk: z.strictObject({}),
  logs: z.strictObject({ limit: limit(500, 100), level: z.enum(['warn', 'error', 'fatal']).optional() }),
  notifications: z.strictObject({ limit: limit(500, 100), status: z.enum(['pending', 'sent', 'failed', 'coalesced']).optional() }),
  operatorActions: z.strictObject({ limit: limit(200, 50) }),
  manualInputs: z.strictObject({ limit: limit(200, 50), kind: z.enum(['sentiment', 'etf_flow', 'liquidations']).optional() }),
  insights: z.strictObject({ scope: z.string().max(32).optional() }),
  backtests: z.strictObject({ limit: limit(200, 50) }),
} as const;

export type QueryName = keyof typeof queryArgs;
export type QueryArgs<N extends QueryName> = z.infer<(typeof queryArgs)[N]>;

const run = {
  positions: (c: QueryContext) => trd.openPositions(c.pool),
  orders: (c: QueryContext, a: QueryArgs<'orders'>) => trd.orders(c.pool, a),
  trades: (c: QueryContext, a: QueryArgs<'trades'>) => trd.trades(c.pool, a),
  pnl: (c: QueryContext, a: QueryArgs<'pnl'>) => trd.pnlByPeriod(c.pool, c.now(), a),
  performance: (c: QueryContext) => trd.performance(c.pool),
  profit: (c: QueryContext) => trd.profit(c.pool),
  count: async (c: QueryContext) => {
    const open = await trd.openPositions(c.pool);
    return { open: open.length, max: c.config.risk.maxPositions, symbols: open.map((p) => p.symbol) };
  },
  equity: async (c: QueryContext, a: QueryArgs<'equity'>) => ({ latest: await trd.latestEquity(c.pool), points: await trd.equityCurve(c.pool, a) }),
  decisions: (c: QueryContext, a: QueryArgs<'decisions'>) => rec.decisions(c.pool, a),
  decision: (c: QueryContext, a: QueryArgs<'decision'>) => rec.decision(c.pool, a.id),
  risk: async (c: QueryContext) => ({ breakers: await rec.activeBreakers(c.pool, c.now()), history: await rec.breakerHistory(c.pool, 20) }),
  logs: (c: QueryContext, a: QueryArgs<'logs'>) => rec.logs(c.pool, a),
  notifications: async (c: QueryContext, a: QueryArgs<'notifications'>) => ({ backlog: await rec.notificationBacklog(c.pool), rows: await rec.notifications(c.pool, a) }),
  operatorActions: (c: QueryContext, a: QueryArgs<'operatorActions'>) => rec.operatorActions(c.pool, a),
  manualInputs: (c: QueryContext, a: QueryArgs<'manualInputs'>) => rec.manualInputs(c.pool, a),
  insights: (c: QueryContext, a: QueryArgs<'insights'>) => rec.insights(c.pool, a),
  backtests: (c: QueryContext, a: QueryArgs<'backtests'>) => rec.backtests(c.pool, a),
} satisfies { [N in QueryName]: (c: QueryContext, a: QueryArgs<N>) => Promise<unknown> };

export type QueryResult<N extends QueryName> = Awaited<ReturnType<(typeof run)[N]>>;

export const isQueryName = (s: string): s is QueryName => Object.hasOwn(queryArgs, s);

/** Runs one named read with already-validated arguments. */
export function query<N extends QueryName>(c: QueryContext, name: N, args: QueryArgs<N>): Promise<QueryResult<N>> {
  return (run[name] as unknown as (c: QueryContext, a: QueryArgs<N>) => Promise<QueryResult<N>>)(c, args);
}

/** Validates raw arguments (control socket, Telegram) and runs the read; a bad argument throws naming its path. */
export function queryRaw(c: QueryContext, name: string, raw: unknown): Promise<unknown> {
  if (!isQueryName(name)) throw new Error(`unknown query ${name} (known: ${Object.keys(queryArgs).join(', ')})`);
  const parsed = queryArgs[name].safeParse(raw ?? {});
  if (!parsed.success) throw new Error(`bad ${name} arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`);
  return query(c, name, parsed.data as never);
}

export { rec as records, trd as trading };
export type { DecisionView, LogView, NotificationView, OperatorActionView, ManualInputView, BacktestRunView, BreakerView } from './records.js';
export type { PositionView, OrderView, TradeView, PeriodPnl, SymbolPerformance, ProfitSummary, EquityPoint, LatestEquity, ProtectionLeg } from './trading.js';
