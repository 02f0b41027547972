// Turns bus messages into notices and stored notifications into Telegram text. Pure functions.
// Guarantees every message names the mode and fits Telegram's 4096-character limit; coalescing keys are stable.
import type { Notice } from '../../machines/notifier.machine.js';
import type { AlertPayload, Envelope, PositionEvent, Severity } from '../protocol/index.js';

export const TELEGRAM_MAX = 4096;

const ICON: Record<Severity, string> = { info: 'ℹ️', warning: '⚠️', error: '❗', critical: '🚨' };

type AlertTopic = 'market.alert' | 'decision.alert' | 'execution.alert' | 'reconcile.anomaly' | 'supervisor.alert';

export const noticeFromAlert = (env: Envelope<AlertTopic>): Notice => {
  const a = env.payload as AlertPayload;
  return { sourceId: env.id, ts: env.tsEvent, code: a.code, severity: a.severity, text: a.text, ...(a.symbol ? { symbol: a.symbol } : {}) };
};

export const noticeFromPosition = (env: Envelope<'execution.position_opened' | 'execution.position_closed'>): Notice => {
  const p = env.payload as PositionEvent;
  const opened = env.type === 'execution.position_opened';
  const text = opened
    ? `opened ${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice}`
    : `closed ${p.side} ${p.qty} ${p.symbol} @ ${p.exitPrice ?? '?'} (${p.reason ?? 'unknown'}), PnL ${p.realizedPnl ?? '0'}, fees ${p.fees ?? '0'}`;
  return { sourceId: env.id, ts: env.tsEvent, code: opened ? 'position.opened' : 'position.closed', severity: 'info', text, symbol: p.symbol };
};

/** Alerts that repeat (same code and symbol) are folded into one message; lifecycle, trades and operator actions never are. */
export function coalesceKey(n: Pick<Notice, 'code' | 'severity' | 'symbol'>): string | null {
  if (n.severity === 'info') return null;
  if (/^(daemon|position|summary|ops)\./.test(n.code) || n.code === 'ai.sentinel') return null;
  return `${n.code}|${n.symbol ?? ''}`.slice(0, 128);
}

const TITLES: Array<[RegExp, string]> = [
  [/^daemon\.started$/, 'bosun started'],
  [/^daemon\.stopping$/, 'bosun stopping'],
  [/^supervisor\.actor_restarted$/, 'actor restarted'],
  [/^position\.opened$/, 'position opened'],
  [/^position\.closed$/, 'position closed'],
  [/^summary\./, 'daily summary'],
  [/^ai\.sentinel$/, 'AI Sentinel note'],
  [/^market\.stale$/, 'market data stale'],
  [/^market\.recovered$/, 'market data flowing again'],
  [/^(risk\.|decision\.breaker|.*halt)/, 'trading halted / breaker'],
  [/^(reconcile\.|execution\.reconcile)/, 'reconciliation'],
  [/^ops\.kill_switch$/, 'KILL SWITCH'],
  [/^ops\./, 'operator action'],
];

export const titleOf = (code: string): string => TITLES.find(([re]) => re.test(code))?.[1] ?? code;

export interface StoredNotification {
  /** The outbox row id: the message's stable identity (`ref #N<id>`), the same on every attempt. */
  id?: number;
  code: string;
  severity: string;
  text: string;
  repeats: number;
}

/** What a message sent again after a lost answer says (Telegram may already have shown the first one). */
export const RESENT_NOTE = '(sent again: the answer to an earlier attempt was lost, so it may arrive twice — same ref)';

/**
 * The Telegram text of a stored notification: icon, [MODE], title, body, how often it repeated, and its ref (the row id):
 * a message delivered twice (a lost answer, then a retry) shows the same ref both times.
 */
export function telegramText(n: StoredNotification, mode: string, resent = false): string {
  const icon = ICON[n.severity as Severity] ?? '';
  const head = `${icon} [${mode.toUpperCase()}] ${titleOf(n.code)}`.trim();
  const rep = n.repeats > 0 ? `\n(×${n.repeats + 1}: repeated ${n.repeats} more time${n.repeats > 1 ? 's' : ''})` : '';
  const tail = `${n.id !== undefined ? `\nref #N${n.id}` : ''}${resent ? `\n${RESENT_NOTE}` : ''}`;
  return truncate(`${head}\n${n.text}${rep}`, TELEGRAM_MAX - tail.length) + tail;
}

export const truncate = (s: string, max = TELEGRAM_MAX): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export const suppressedNote = (n: number, sinceWall: number): string =>
  `\n(${n} more like this were held back since ${hhmm(sinceWall)} UTC)`;
