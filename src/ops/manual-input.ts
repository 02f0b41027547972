// The one path a manual input (sentiment, ETF flow, liquidation map) takes into MariaDB, from the CLI or the HTTP API:
// validated by the schemas analytics reads them with, stored with its history, and recorded in `operator_actions`.
// Guarantees a rejected input writes nothing (the previous value stays in force) and names each bad field's path.
import type { Pool } from 'mariadb';
import type { z } from 'zod';
import { asOfMs, describeIssues, SCHEMAS, type ManualKind } from '../analytics/manual-inputs.js';
import type { Config } from '../config/schema.js';
import { InputRejectedError } from '../errors.js';
import { insertManualInput } from '../store/repos/manual-inputs.js';
import { inTx } from '../store/tx.js';

const KIND_MAX_AGE = { sentiment: 'sentiment', etf_flow: 'etfFlow', liquidations: 'liquidations' } as const;

export interface FieldIssue {
  /** Dotted path of the field, e.g. `clusters[0].price` (`(root)` for the whole document). */
  path: string;
  message: string;
}

export class ManualInputRejected extends InputRejectedError {
  constructor(readonly kind: ManualKind, readonly issues: FieldIssue[], what: string) {
    super(`${what} rejected, nothing was written (the previous value stays in force):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

/** Validates one input exactly as analytics will read it; throws ManualInputRejected naming every bad field. */
export function validateManualInput<K extends ManualKind>(kind: K, raw: unknown, what: string = kind): z.infer<(typeof SCHEMAS)[K]> {
  const r = SCHEMAS[kind].safeParse(raw);
  if (!r.success) {
    const issues = describeIssues(r.error).map((l) => {
      const i = l.indexOf(': ');
      return { path: l.slice(0, i), message: l.slice(i + 2) };
    });
    throw new ManualInputRejected(kind, issues, what);
  }
  return r.data as z.infer<(typeof SCHEMAS)[K]>;
}

export interface StoredInput {
  id: number;
  kind: ManualKind;
  asOf: number;
  /** Until when it counts for analytics (`analytics.manual.maxAgeSec`). */
  countsUntil: number;
  /** Already older than its max age when stored: it will not count. */
  stale: boolean;
}

/**
 * Validates and stores one manual input and its `operator_actions` row (who, from where) in one transaction.
 * `now` is wall time; a sentiment is as of `now`, ETF flows and liquidation maps carry their own `asOf`.
 */
export async function recordManualInput(pool: Pool, config: Config, kind: ManualKind, raw: unknown, who: { by: string; source: 'cli' | 'telegram' | 'api' }, now: number, clockNow = now, what: string = kind): Promise<StoredInput> {
  const data = validateManualInput(kind, raw, what) as { asOf?: string; source?: string; comment?: string };
  const asOf = kind === 'sentiment' ? now : asOfMs(data.asOf!)!;
  const id = await inTx(pool, async (conn) => {
    const inputId = await insertManualInput(conn, { kind, asOf, receivedAt: now, payload: data, source: data.source ?? null, comment: data.comment ?? null });
    await conn.query(
      "INSERT INTO operator_actions (ts, clock_ts, action, by_whom, source, status, args, result, finished_at) VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?)",
      [now, clockNow, `input.${kind}`, who.by.slice(0, 128), who.source, JSON.stringify({ kind, asOf }), JSON.stringify({ id: inputId }), now],
    );
    return inputId;
  });
  const countsUntil = asOf + config.analytics.manual.maxAgeSec[KIND_MAX_AGE[kind]] * 1000;
  return { id, kind, asOf, countsUntil, stale: countsUntil < now };
}
