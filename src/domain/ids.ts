// Deterministic identifiers: client order ids from (decision id, leg, attempt), decision ids from inputs.
// Guarantees the same inputs always give the same id, within Binance's 36-character client id limit.
import { createHash } from 'node:crypto';

/** `time`: the max-holding-time exit; `trail`: the exit when price fell through a trailing level between two loops. */
export type Leg = 'entry' | 'sl' | 'tp' | 'tp2' | 'tp3' | 'exit' | 'flatten' | 'time' | 'trail';

const LEG_CODE: Record<Leg, string> = { entry: 'e', sl: 's', tp: 't', tp2: 'u', tp3: 'v', exit: 'x', flatten: 'f', time: 'h', trail: 'r' };

const CLIENT_ID = /^[A-Za-z0-9._:/-]{1,36}$/;

/** `bsn-<24 hex of sha256>-<leg><attempt>`: at most 36 characters, only Binance-allowed characters. */
export function clientOrderId(decisionId: string, leg: Leg, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > 9999) throw new RangeError(`attempt out of range: ${attempt}`);
  const h = createHash('sha256').update(`${decisionId}|${leg}|${attempt}`).digest('hex').slice(0, 24);
  const id = `bsn-${h}-${LEG_CODE[leg]}${attempt}`;
  if (!CLIENT_ID.test(id)) throw new Error(`bad client id ${id}`);
  return id;
}

export const isOurClientId = (id: string): boolean => /^bsn-[0-9a-f]{24}-[a-z]\d{1,4}$/.test(id);

/** A decision is identified by what it was computed from: symbol, strategy and snapshot time. */
export const decisionId = (symbol: string, strategy: string, ts: number): string =>
  `${symbol.replace(/[^A-Z0-9]/g, '')}-${strategy}-${ts}`;

/** Deterministic id for something reconciliation creates (an imported position, a synthetic fill). */
export const syntheticId = (kind: string, ...parts: Array<string | number>): string =>
  `${kind}-${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 20)}`;
