// notifier worker: every alert and position event becomes a `notifications` row, is logged, and (Telegram on) is
// delivered oldest first to every allowlisted chat; it also answers Telegram commands through the control socket.
// Guarantees: a row exists before anyone is told; a Telegram outage or a notifier restart loses nothing and sends
// nothing twice (rows and per-chat progress live in MariaDB); at shutdown it keeps delivering for `drainMs`.
// Limits, by construction: a notice is durable once its row is written (a worker killed in the milliseconds before
// loses it); a kill between Telegram accepting a message and the row update, or an answer lost on the way, resends that
// one message (same ref #N<id>; after a lost answer marked as possibly a repeat): at least once, never lost (README).
import { fromPromise, type AnyActorRef } from 'xstate';
import { notifierMachine, type Notice, type NotifierContext, type SendOutcome } from '../machines/notifier.machine.js';
import { readSecrets } from '../src/config/secrets.js';
import { request } from '../src/control/socket.js';
import { telegramState } from '../src/daemon/status.js';
import { scrub, secretValues } from '../src/log/logger.js';
import { CommandHandler } from '../src/notify/commands.js';
import { deliverNext } from '../src/notify/deliver.js';
import { noticeFromAlert, noticeFromPosition } from '../src/notify/format.js';
import { Outbox } from '../src/notify/outbox.js';
import { dailySummary } from '../src/notify/summary.js';
import { TelegramClient } from '../src/notify/telegram.js';
import { runActor } from '../src/host/host.js';
import { fromRoot } from '../src/paths.js';
import { getMeta, setMeta } from '../src/store/repos/meta.js';
import { Serial } from '../src/util/serial.js';

const OFFSET_KEY = 'telegram.offset';
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

runActor(async (ctx) => {
  const { config, clock, log } = ctx;
  const n = config.notifier;
  const pool = ctx.db();
  const secrets = secretValues();
  const clean = (s: string) => scrub(s, secrets);
  const tg = telegramState(config);
  const chats = n.telegram.chatIds.map(String);
  const token = readSecrets().telegramToken;
  const telegram = tg.on && token ? new TelegramClient(token, n.telegram) : null;
  const outbox = new Outbox(pool, { deliver: !!telegram, coalesceMs: n.coalesceSec * 1000, scrub: clean });
  // Deliveries run one at a time (a send in flight and the shutdown drain never overlap); recording has its own
  // queue so a slow Telegram never delays writing a notice down.
  const serial = new Serial();
  const recording = new Serial();
  // Polling stops first at shutdown; sends keep going until the drain is over.
  const stopPolling = new AbortController();
  const stop = new AbortController();
  const stats = { unauthorized: 0, commands: 0, polling: telegram ? 'starting' : 'off', backlog: 0, oldestPendingWallTs: null as number | null };
  let actorRef: AnyActorRef | null = null;

  const record = (notice: Notice) =>
    recording.run(async () => {
      const r = await outbox.record(notice);
      if (r === 'duplicate') return;
      const level = notice.severity === 'critical' || notice.severity === 'error' ? 'error' : notice.severity === 'warning' ? 'warn' : 'info';
      log[level]({ code: notice.code, notification: r }, notice.text);
    });

  /** Delivers the oldest pending row to every chat that has not had it yet. */
  const sendNext = (): Promise<SendOutcome> =>
    serial.run(async () => {
      if (!telegram) return { kind: 'empty' };
      return deliverNext({ outbox, telegram, chats, mode: config.mode, log, signal: stop.signal });
    });

  const summarize = async ({ input }: { input: { dueAt: number } }) => {
    const s = await dailySummary(pool, input.dueAt);
    await record(s);
  };

  const machine = notifierMachine.provide({
    actors: {
      record: fromPromise(({ input }: { input: { notice: Notice } }) => record(input.notice)),
      sendNext: fromPromise(sendNext),
      summarize: fromPromise(summarize),
    },
  });

  const refreshBacklog = () =>
    outbox.backlog().then(
      (b) => {
        stats.backlog = b.pending;
        stats.oldestPendingWallTs = b.oldestWallTs;
        ctx.metrics.set('notification_backlog', {}, b.pending);
      },
      () => undefined,
    );
  const backlogTimer = setInterval(() => void refreshBacklog(), 2000);
  backlogTimer.unref();
  void refreshBacklog();

  const commands = new CommandHandler({
    allowed: new Set(chats),
    control: (cmd, args) => request(fromRoot(config.control.socketPath), cmd, args ?? {}, 60_000),
    reply: async (chat, text) => {
      const r = await telegram!.send(chat, text, stop.signal);
      if (!r.ok) log.warn({ chat, err: r.error }, 'reply to a telegram command failed');
    },
    log,
    confirmTtlMs: n.confirmTtlSec * 1000,
    symbols: config.symbols,
  });

  /** Long-polls for commands; the offset is kept in MariaDB so a restart never handles an update twice. */
  const poll = async () => {
    let offset: number | undefined;
    while (!stopPolling.signal.aborted) {
      try {
        const stored = Number((await getMeta(pool, OFFSET_KEY)) ?? 0);
        offset = Math.max(offset ?? 0, stored) || undefined;
        stats.polling = 'polling';
        for await (const update of telegram!.updates(offset, n.telegram.pollTimeoutSec, stopPolling.signal, (e) => {
          stats.polling = `retrying: ${telegram!.clean(e)}`;
        })) {
          stats.polling = 'polling';
          const outcome = await commands.handle(update);
          if (outcome === 'unauthorized') stats.unauthorized++;
          if (outcome === 'handled') stats.commands++;
          offset = update.update_id + 1;
          await setMeta(pool, OFFSET_KEY, String(offset), Date.now()).catch((e) => log.warn({ err: (e as Error).message }, 'saving the telegram offset failed'));
        }
      } catch (err) {
        if (stopPolling.signal.aborted) break;
        stats.polling = `failed: ${telegram!.clean(err)}`;
        log.error({ err: telegram!.clean(err) }, 'telegram polling failed; retrying in 30 s');
        await sleep(30_000, stopPolling.signal);
      }
    }
  };

  return {
    machine,
    input: {
      now: () => clock.now(),
      retry: n.retry,
      clockPerWallMs: config.clock.speed,
      summaryMinuteUtc: Number(n.dailySummaryUtc.slice(0, 2)) * 60 + Number(n.dailySummaryUtc.slice(3)),
    },
    routes: {
      'market.alert': (env) => ({ type: 'notifier.notice', notice: noticeFromAlert(env) }),
      'decision.alert': (env) => ({ type: 'notifier.notice', notice: noticeFromAlert(env) }),
      'execution.alert': (env) => ({ type: 'notifier.notice', notice: noticeFromAlert(env) }),
      'reconcile.anomaly': (env) => ({ type: 'notifier.notice', notice: noticeFromAlert(env) }),
      'supervisor.alert': (env) => ({ type: 'notifier.notice', notice: noticeFromAlert(env) }),
      'execution.position_opened': (env) => ({ type: 'notifier.notice', notice: noticeFromPosition(env) }),
      'execution.position_closed': (env) => ({ type: 'notifier.notice', notice: noticeFromPosition(env) }),
    },
    onStart: (a) => {
      actorRef = a;
      if (telegram) void poll();
    },
    details: (a) => {
      const c = a.getSnapshot().context as NotifierContext;
      return {
        telegram: tg.text, telegramOn: !!telegram, backlog: stats.backlog, oldestPendingWallTs: stats.oldestPendingWallTs,
        recorded: c.recorded, sent: c.sent, failures: c.failures, lastError: c.lastError, inbox: c.inbox.length,
        commands: { handled: stats.commands, unauthorized: stats.unauthorized, polling: stats.polling },
      };
    },
    dispose: async () => {
      clearInterval(backlogTimer);
      stopPolling.abort();
      const deadline = Date.now() + n.drainMs;
      // Notices the machine had not written yet (its last context) are recorded first: idempotent by source id.
      const inbox = actorRef ? (actorRef.getSnapshot().context as NotifierContext).inbox : [];
      for (const notice of inbox) await record(notice).catch((e) => log.error({ err: (e as Error).message, code: notice.code }, 'could not record a notice at shutdown'));
      // Then deliver, oldest first, until nothing is pending or the drain budget is spent (the rest waits in MariaDB).
      while (telegram && Date.now() < deadline) {
        const left = deadline - Date.now();
        const r = await Promise.race([sendNext().catch(() => ({ kind: 'retry' }) as const), sleep(left).then(() => ({ kind: 'timeout' }) as const)]);
        if (r.kind === 'empty') break;
        if (r.kind === 'retry') await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
        if (r.kind === 'timeout') break;
      }
      stop.abort();
      const b = await outbox.backlog().catch(() => null);
      if (b?.pending) log.warn({ pending: b.pending }, 'notifier stopping with undelivered notifications; they are delivered at the next start');
    },
  };
});
