// Delivery of the oldest pending notification to every chat that has not had it (the notifier's send step).
// Guarantees: a chat's outcome is written on the row before the next chat is tried; a chat Telegram surely got is never
// sent the row again; a send whose answer was lost (Telegram may have it) is sent again — at least once, never lost —
// with the same ref and a note that it may be a repeat: the Bot API has no idempotency key to do better.
import type { SendOutcome } from '../../machines/notifier.machine.js';
import type { Logger } from '../log/logger.js';
import { telegramText } from './format.js';
import type { Outbox } from './outbox.js';
import type { TelegramClient } from './telegram.js';

/** A chat whose last attempt may have reached Telegram (its answer was lost): delivered_to holds `maybe: <error>`. */
export const MAYBE = 'maybe: ';

export async function deliverNext(o: { outbox: Outbox; telegram: Pick<TelegramClient, 'send'>; chats: string[]; mode: string; log: Pick<Logger, 'error' | 'warn'>; signal?: AbortSignal }): Promise<SendOutcome> {
  const row = await o.outbox.oldestPending();
  if (!row) return { kind: 'empty' };
  const dropped: string[] = [];
  for (const chat of o.chats) {
    const before = row.delivered[chat];
    if (before && !before.startsWith(MAYBE)) continue;
    const r = await o.telegram.send(chat, telegramText(row, o.mode, !!before), o.signal);
    if (r.ok) {
      row.delivered[chat] = 'sent';
      await o.outbox.markChats(row.id, row.delivered);
    } else if (r.kind === 'drop') {
      row.delivered[chat] = `failed: ${r.error}`;
      await o.outbox.markChats(row.id, row.delivered);
      dropped.push(`${chat}: ${r.error}`);
      o.log.error({ chat, id: row.id, err: r.error }, 'telegram refused a notification for this chat; not retrying it there');
    } else {
      if (r.maybeSent && !before) {
        row.delivered[chat] = `${MAYBE}${r.error}`;
        await o.outbox.markChats(row.id, row.delivered);
        o.log.warn({ chat, id: row.id, err: r.error }, 'telegram may have this notification (its answer was lost): it is sent again with the same ref');
      }
      await o.outbox.markAttempt(row.id, r.error);
      return { kind: 'retry', error: r.error, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
    }
  }
  const anySent = Object.values(row.delivered).some((v) => v === 'sent');
  await o.outbox.finish(row.id, anySent ? 'sent' : 'failed', dropped.length ? dropped.join('; ') : null);
  return { kind: anySent ? 'sent' : 'failed', id: row.id };
}
