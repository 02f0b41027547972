// Schema of the notifier section: Telegram delivery, rate limits, retry, coalescing, the daily summary.
// Guarantees the bot token is never part of the config (it comes only from BOSUN_TELEGRAM_TOKEN).
import { z } from 'zod';

const chatId = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);

export const notifierSchema = z.strictObject({
  telegram: z.strictObject({
    /** Off: notifications are stored and logged only. On without a token: the same, and status says so. */
    enabled: z.boolean(),
    /** Chats that receive notifications and may send commands; every other chat is ignored. */
    chatIds: z.array(chatId),
    /** Bot API origin (tests point it at a loopback fake). */
    apiRoot: z.string().url(),
    /** Long-poll wait for commands, seconds. */
    pollTimeoutSec: z.number().int().min(1).max(50),
    requestTimeoutMs: z.number().int().min(500).max(120_000),
    /** Telegram: about 30 messages/s overall, 1/s per private chat, 20/min per group. */
    rateLimit: z.strictObject({
      globalPerSec: z.number().positive().max(30),
      perChatPerSec: z.number().positive().max(30),
      perGroupPerMin: z.number().positive().max(60),
    }),
  }),
  /** Backoff between delivery attempts while Telegram fails (wall-clock ms, doubled per failure). */
  retry: z.strictObject({ initialMs: z.number().int().min(10), maxMs: z.number().int().min(10) }),
  /** Repeats of the same alert (code + symbol) within this many wall seconds become one message. */
  coalesceSec: z.number().int().min(0).max(86_400),
  /** Daily summary at this UTC time of the daemon's clock ("HH:MM"). */
  dailySummaryUtc: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (UTC)'),
  /** At shutdown, the notifier keeps delivering (the stop message first of all) for up to this long. */
  drainMs: z.number().int().min(0).max(60_000),
  /** A /flatten confirmation code is valid this many seconds. */
  confirmTtlSec: z.number().int().min(10).max(3600),
  /** Status reports degraded once the oldest undelivered notification is this old (wall seconds). */
  degradedAfterSec: z.number().int().min(1),
});
