// Manual inputs (seed 003): operator sentiment, ETF flows, liquidation map — their schemas, and which of the
// stored values still count at a given time. Guarantees a value older than its max age (or dated after the
// moment asked about) does not count, and every rejected input names the field and the reason.
import { z } from 'zod';

export type ManualKind = 'sentiment' | 'etf_flow' | 'liquidations';
export const MANUAL_KINDS: ManualKind[] = ['sentiment', 'etf_flow', 'liquidations'];

/** An ISO 8601 date (YYYY-MM-DD, the day's figure: known at the day's end) or date-time with a zone. */
const asOf = z.string().refine((s) => asOfMs(s) !== null, { message: 'expected an ISO date (2024-03-12) or date-time with a zone (2024-03-12T16:00:00Z)' });

/** The time an as-of string stands for (a date: the end of that UTC day), or null if it is not a real date. */
export function asOfMs(s: string): number | null {
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!ymd) return null;
  const [y, m, d] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])];
  if (new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d || m < 1 || m > 12) return null; // e.g. 2024-02-30
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    return Number.isNaN(t) ? null : t + 86_400_000 - 1;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

const text = (max: number) => z.string().max(max, `at most ${max} characters`);

export const sentimentSchema = z.strictObject({
  score: z.number().min(-2, 'must be between -2 (very bearish) and 2 (very bullish)').max(2, 'must be between -2 (very bearish) and 2 (very bullish)'),
  comment: text(1000),
});

export const etfFlowSchema = z
  .strictObject({
    asOf,
    asset: z.string().regex(/^[A-Z0-9]{2,10}$/, 'expected an asset ticker like BTC').default('BTC'),
    /** Net creations − redemptions over the period, USD. */
    totalNetFlowUsd: z.number().finite(),
    funds: z.array(z.strictObject({ ticker: z.string().regex(/^[A-Z0-9.]{1,12}$/, 'expected a fund ticker like IBIT'), netFlowUsd: z.number().finite() })).optional(),
    source: text(200).optional(),
    comment: text(1000).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.funds?.length) return;
    const sum = v.funds.reduce((a, f) => a + f.netFlowUsd, 0);
    if (Math.abs(sum - v.totalNetFlowUsd) > Math.max(1, 1e-6 * Math.abs(v.totalNetFlowUsd))) {
      ctx.addIssue({ code: 'custom', path: ['totalNetFlowUsd'], message: `is ${v.totalNetFlowUsd} but the funds sum to ${sum}; fix one or the other` });
    }
  });

export const liquidationMapSchema = z.strictObject({
  asOf,
  symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/, 'expected a perpetual like BTC/USDT:USDT').optional(),
  /** Price the map was read at. */
  referencePrice: z.number().positive().optional(),
  clusters: z
    .array(z.strictObject({
      price: z.number().positive(),
      /** Whose positions are liquidated there: longs (usually below price) or shorts (above). */
      side: z.enum(['long', 'short']),
      notionalUsd: z.number().positive(),
    }))
    .min(1, 'needs at least one cluster'),
  source: text(200).optional(),
  comment: text(1000).optional(),
});

export type SentimentInput = z.infer<typeof sentimentSchema>;
export type EtfFlowInput = z.infer<typeof etfFlowSchema>;
export type LiquidationMapInput = z.infer<typeof liquidationMapSchema>;

export const SCHEMAS = { sentiment: sentimentSchema, etf_flow: etfFlowSchema, liquidations: liquidationMapSchema } as const;

/** A stored manual input: its kind, when its data is from, and the validated payload. */
export type ManualRecord =
  | { id: number; kind: 'sentiment'; asOf: number; receivedAt: number; data: SentimentInput }
  | { id: number; kind: 'etf_flow'; asOf: number; receivedAt: number; data: EtfFlowInput }
  | { id: number; kind: 'liquidations'; asOf: number; receivedAt: number; data: LiquidationMapInput };

/** The latest stored value of each kind (whatever its age). */
export interface ManualState {
  sentiment: Extract<ManualRecord, { kind: 'sentiment' }> | null;
  etfFlow: Extract<ManualRecord, { kind: 'etf_flow' }> | null;
  liquidations: Extract<ManualRecord, { kind: 'liquidations' }> | null;
}

export const emptyManual = (): ManualState => ({ sentiment: null, etfFlow: null, liquidations: null });

export interface ManualMaxAge {
  sentimentSec: number;
  etfFlowSec: number;
  liquidationsSec: number;
}

/** True when the record counts at time `ts`. */
export const counts = (r: { asOf: number } | null, ts: number, maxAgeSec: number): boolean =>
  r !== null && r.asOf <= ts && ts - r.asOf <= maxAgeSec * 1000;

/** Validation failure as "path: reason" lines (zod issues), for the operator. */
export function describeIssues(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)'}: ${i.message}`);
}
