// The notifications table as a durable outbox: every notice is a row before anyone is told; rows leave oldest first.
// Guarantees: one row per bus message (unique source id); repeats of an alert fold into one row; a chat that got a row
// is remembered on the row, so a retry (or a restarted notifier) never sends it to that chat twice.
import type { Pool } from 'mariadb';
import type { Notice } from '../../machines/notifier.machine.js';
import { inTx } from '../store/tx.js';
import { coalesceKey, suppressedNote } from './format.js';

export interface OutboxRow {
  id: number;
  source_id: string;
  ts: number;
  code: string;
  severity: string;
  text: string;
  status: string;
  attempts: number;
  repeats: number;
  wall_ts: number | null;
  /** chat id → 'sent' | 'failed: reason' */
  delivered: Record<string, string>;
}

export type RecordResult = 'inserted' | 'coalesced' | 'duplicate';

export interface OutboxOptions {
  /** True when rows should wait for Telegram ('pending'); false stores them as 'logged'. */
  deliver: boolean;
  coalesceMs: number;
  wallNow?: () => number;
  /** Scrubs secrets out of anything written (error texts from the network layer). */
  scrub?: (s: string) => string;
}

const parseDelivered = (v: unknown): Record<string, string> => {
  if (v === null || v === undefined || v === '') return {};
  const o = typeof v === 'string' ? JSON.parse(v) : v;
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, string>) : {};
};

export class Outbox {
  private readonly wallNow: () => number;
  private readonly scrub: (s: string) => string;

  constructor(private readonly pool: Pool, private readonly o: OutboxOptions) {
    this.wallNow = o.wallNow ?? Date.now;
    this.scrub = o.scrub ?? ((s) => s);
  }

  /** Stores a notice once; a repeat of a recent alert with the same key is folded into the earlier row. */
  async record(n: Notice): Promise<RecordResult> {
    const key = coalesceKey(n);
    const wall = this.wallNow();
    const status = this.o.deliver ? 'pending' : 'logged';
    const text = this.scrub(n.text);
    return inTx(this.pool, async (conn) => {
      const prev = key
        ? (await conn.query<Array<{ id: number; status: string; wall_ts: number | null; repeats: number }>>(
            "SELECT id, status, wall_ts, repeats FROM notifications WHERE coalesce_key = ? AND status <> 'coalesced' ORDER BY id DESC LIMIT 1 FOR UPDATE",
            [key],
          ))[0]
        : undefined;
      if (prev && this.o.coalesceMs > 0 && prev.wall_ts !== null && wall - prev.wall_ts < this.o.coalesceMs) {
        const ins = await conn.query<{ affectedRows: number }>(
          `INSERT IGNORE INTO notifications (source_id, ts, code, severity, text, status, attempts, wall_ts, coalesce_key, coalesced_into)
           VALUES (?, ?, ?, ?, ?, 'coalesced', 0, ?, ?, ?)`,
          [n.sourceId, n.ts, n.code, n.severity, text, wall, key, prev.id],
        );
        if (ins.affectedRows === 0) return 'duplicate';
        // Still waiting to go out: the message will say how often it happened. Already out: held back and counted.
        if (prev.status === 'pending' || prev.status === 'logged') await conn.query('UPDATE notifications SET repeats = repeats + 1 WHERE id = ?', [prev.id]);
        return 'coalesced';
      }
      let body = text;
      if (prev) {
        const [held] = await conn.query<Array<{ n: number; since: number | null }>>(
          "SELECT COUNT(*) AS n, MIN(wall_ts) AS since FROM notifications WHERE coalesced_into = ? AND status = 'coalesced'",
          [prev.id],
        );
        const suppressed = Number(held?.n ?? 0) - prev.repeats;
        if (suppressed > 0) body += suppressedNote(suppressed, Number(held?.since ?? wall));
      }
      const ins = await conn.query<{ affectedRows: number }>(
        `INSERT IGNORE INTO notifications (source_id, ts, code, severity, text, status, attempts, wall_ts, coalesce_key)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        [n.sourceId, n.ts, n.code, n.severity, body, status, wall, key],
      );
      return ins.affectedRows === 0 ? 'duplicate' : 'inserted';
    });
  }

  /** The oldest row still waiting for Telegram. */
  async oldestPending(): Promise<OutboxRow | null> {
    const rows = await this.pool.query<Array<Omit<OutboxRow, 'delivered'> & { delivered_to: unknown }>>(
      "SELECT id, source_id, ts, code, severity, text, status, attempts, repeats, wall_ts, delivered_to FROM notifications WHERE status = 'pending' ORDER BY id LIMIT 1",
    );
    const r = rows[0];
    if (!r) return null;
    const { delivered_to, ...rest } = r;
    return { ...rest, delivered: parseDelivered(delivered_to) };
  }

  /** Stores which chats got row `id` (or failed for good), before anything else is sent. The notifier is its only writer. */
  async markChats(id: number, delivered: Record<string, string>): Promise<void> {
    const clean = Object.fromEntries(Object.entries(delivered).map(([chat, outcome]) => [chat, this.scrub(outcome).slice(0, 300)]));
    await this.pool.query('UPDATE notifications SET delivered_to = ? WHERE id = ?', [JSON.stringify(clean), id]);
  }

  /** A failed attempt that will be retried: the row stays pending. */
  async markAttempt(id: number, error: string): Promise<void> {
    await this.pool.query('UPDATE notifications SET attempts = attempts + 1, last_error = ? WHERE id = ?', [this.scrub(error).slice(0, 1000), id]);
  }

  /** Final state of a row once every chat was served: sent if any chat got it, failed otherwise. */
  async finish(id: number, status: 'sent' | 'failed', error: string | null): Promise<void> {
    await this.pool.query('UPDATE notifications SET status = ?, attempts = attempts + 1, last_error = ?, sent_at = ? WHERE id = ?', [
      status, error === null ? null : this.scrub(error).slice(0, 1000), this.wallNow(), id,
    ]);
  }

  /** Rows waiting, and the wall time the oldest of them was recorded. */
  async backlog(): Promise<{ pending: number; oldestWallTs: number | null }> {
    const [r] = await this.pool.query<Array<{ n: number; oldest: number | null }>>("SELECT COUNT(*) AS n, MIN(wall_ts) AS oldest FROM notifications WHERE status = 'pending'");
    return { pending: Number(r?.n ?? 0), oldestWallTs: r?.oldest ?? null };
  }
}
