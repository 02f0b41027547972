// Telegram commands: validates each update, drops any chat not on the allowlist, and turns the eight commands
// into control-socket requests (the same path as the CLI). Guarantees nothing a chat sends reaches the daemon
// except these commands, and /flatten only with a fresh single-use confirmation code.
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { StatusDoc } from '../daemon/status.js';
import { truncate } from './format.js';

const updateSchema = z.object({
  update_id: z.number().int().nonnegative(),
  message: z
    .object({
      message_id: z.number().int(),
      chat: z.object({ id: z.number().int(), type: z.string().max(32) }),
      from: z.object({ id: z.number().int(), username: z.string().max(64).optional() }).optional(),
      text: z.string().max(4096).optional(),
    })
    .optional(),
});

const noArgs = z.tuple([]);
export const commandSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('help'), args: noArgs }),
  z.object({ name: z.literal('start'), args: noArgs }),
  z.object({ name: z.literal('status'), args: noArgs }),
  z.object({ name: z.literal('positions'), args: noArgs }),
  z.object({ name: z.literal('balance'), args: noArgs }),
  z.object({ name: z.literal('pnl'), args: noArgs }),
  z.object({ name: z.literal('pause'), args: noArgs }),
  z.object({ name: z.literal('resume'), args: noArgs }),
  z.object({ name: z.literal('flatten'), args: z.union([noArgs, z.tuple([z.string().regex(/^\d{6}$/, 'the confirmation code has six digits')])]) }),
]);
export type Command = z.infer<typeof commandSchema>;

export const HELP = [
  '/status – health, actors, equity, risk state',
  '/positions – open positions with stop and target',
  '/balance – equity and balance',
  '/pnl – day and week PnL',
  '/pause – no new entries (protection stays active)',
  '/resume – allow new entries again',
  '/flatten – close every position at market (asks for confirmation)',
  '/help – this list',
].join('\n');

/** Parses `/name[@bot] args…`; null when the text is not a command at all. */
export function parseCommand(text: string): { ok: true; command: Command } | { ok: false; error: string } | null {
  const t = text.trim();
  if (!t.startsWith('/')) return null;
  const [head, ...args] = t.split(/\s+/);
  const name = head!.slice(1).replace(/@\w+$/, '').toLowerCase();
  const r = commandSchema.safeParse({ name, args });
  if (r.success) return { ok: true, command: r.data };
  const known = commandSchema.options.some((o) => o.shape.name.value === name);
  return { ok: false, error: known ? `usage: ${HELP.split('\n').find((l) => l.startsWith(`/${name} `)) ?? `/${name}`} (${r.error.issues[0]?.message ?? 'bad arguments'})` : `unknown command /${name}\n${HELP}` };
}

export interface CommandDeps {
  allowed: ReadonlySet<string>;
  /** A request on the daemon's control socket (the CLI's path). */
  control: (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;
  reply: (chatId: string, text: string) => Promise<void>;
  log: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void };
  confirmTtlMs: number;
  wallNow?: () => number;
}

export class CommandHandler {
  private readonly pending = new Map<string, { code: string; until: number }>();
  private readonly wallNow: () => number;

  constructor(private readonly d: CommandDeps) {
    this.wallNow = d.wallNow ?? Date.now;
  }

  /** Handles one raw update; never throws (a failed command is answered, not fatal). */
  async handle(raw: unknown): Promise<'ignored' | 'unauthorized' | 'handled'> {
    const u = updateSchema.safeParse(raw);
    if (!u.success || !u.data.message) return 'ignored';
    const m = u.data.message;
    const chatId = String(m.chat.id);
    if (!this.d.allowed.has(chatId)) {
      this.d.log.warn({ chatId, fromId: m.from?.id ?? null, chatType: m.chat.type }, 'ignored a Telegram message from a chat that is not in notifier.telegram.chatIds');
      return 'unauthorized';
    }
    const parsed = parseCommand(m.text ?? '');
    if (!parsed) return 'ignored';
    const by = `telegram:${chatId}${m.from?.username ? ` (@${m.from.username})` : ''}`;
    let answer: string;
    try {
      answer = parsed.ok ? await this.run(parsed.command, chatId, by) : parsed.error;
    } catch (err) {
      answer = `failed: ${(err as Error).message}`;
    }
    this.d.log.info({ chatId, command: parsed.ok ? parsed.command.name : 'invalid' }, 'telegram command');
    await this.d.reply(chatId, truncate(answer)).catch(() => undefined);
    return 'handled';
  }

  private async run(c: Command, chatId: string, by: string): Promise<string> {
    const status = async () => (await this.d.control('status')) as StatusDoc;
    switch (c.name) {
      case 'help':
      case 'start':
        return HELP;
      case 'status':
        return statusText(await status());
      case 'positions':
        return positionsText(await status());
      case 'balance':
        return balanceText(await status());
      case 'pnl':
        return pnlText(await status());
      case 'pause':
      case 'resume': {
        await this.d.control(c.name, { by, source: 'telegram' });
        return c.name === 'pause' ? `paused by ${by}: no new entries; stops and targets stay active` : `resumed by ${by}: new entries allowed`;
      }
      case 'flatten': {
        const now = this.wallNow();
        if (c.args.length === 0) {
          const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
          this.pending.set(chatId, { code, until: now + this.d.confirmTtlMs });
          return `This closes EVERY position at market and cancels entries.\nTo confirm, send /flatten ${code} within ${Math.round(this.d.confirmTtlMs / 1000)} s.`;
        }
        const p = this.pending.get(chatId);
        this.pending.delete(chatId);
        if (!p || p.until < now || p.code !== c.args[0]) return 'no matching confirmation (wrong or expired code): send /flatten again';
        const r = (await this.d.control('flatten', { by, source: 'telegram' })) as Record<string, unknown>;
        return `flatten done by ${by}: ${JSON.stringify(r.result ?? r)}`;
      }
    }
  }
}

const money = (s: string | null | undefined) => (s === null || s === undefined ? '-' : Number(s).toFixed(2));

export function statusText(s: StatusDoc): string {
  const running = s.actors.filter((a) => a.lifecycle === 'running').length;
  return [
    `bosun ${s.daemon.mode.toUpperCase()} (${s.daemon.environment}) · ${s.health.status.toUpperCase()}`,
    ...s.health.reasons.map((r) => `  – ${r}`),
    `actors ${running}/${s.actors.length} running${s.actors.some((a) => a.restarts) ? `, restarts: ${s.actors.filter((a) => a.restarts).map((a) => `${a.id} ${a.restarts}`).join(', ')}` : ''}`,
    `exchange: ${s.exchange.connected === null ? 'unknown' : s.exchange.connected ? 'connected' : 'DISCONNECTED'}, clock offset ${s.exchange.clockOffsetMs ?? '?'} ms`,
    `db: ${s.db.ok ? `ok, migration ${s.db.migration}` : `DOWN ${s.db.error ?? ''}`}`,
    balanceText(s),
    pnlText(s),
    `risk: ${s.risk.halted ? `HALTED (${s.risk.haltReason})` : s.risk.paused ? `paused by ${s.risk.pausedBy ?? '?'}` : 'trading'}${s.risk.cooldownUntil ? `, cooldown until ${new Date(s.risk.cooldownUntil).toISOString()}` : ''}`,
    s.lastDecision ? `last decision: ${s.lastDecision.verdict} ${s.lastDecision.symbol} at ${new Date(s.lastDecision.ts).toISOString()}${s.lastDecision.sentinelNote ? ` · Sentinel ${s.lastDecision.sentinelNote}` : ''}` : 'last decision: none',
    ...(s.ai ? [aiText(s.ai)] : []),
    positionsText(s),
    `notifications: ${s.notifications.telegram}; backlog ${s.notifications.backlog ?? '?'}`,
  ].join('\n');
}

/** The AI swarm in one or two lines: off, or the consensus per symbol with its age and the last Sentinel note. */
export function aiText(a: StatusDoc['ai']): string {
  if (!a.on) return 'ai swarm: off';
  const c = a.consensus.map((x) => `${x.symbol} p_up ${x.pUp.toFixed(3)} (agreement ${x.agreement.toFixed(2)}, ${Math.round(x.ageMs / 60_000)} min old)`).join('; ');
  const last = a.lastSentinel ? `\nsentinel: ${a.lastSentinel.note} on ${a.lastSentinel.verdict} ${a.lastSentinel.symbol}: ${a.lastSentinel.reason ?? ''}` : '';
  return `ai swarm: on · ${c || 'no consensus yet'}${last}`;
}

export const positionsText = (s: StatusDoc): string =>
  s.positions.length
    ? s.positions.map((p) => `${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice} · stop ${p.stopLoss ?? 'NONE'} · target ${p.takeProfit ?? '-'} · uPnL ${money(p.unrealizedPnl)}`).join('\n')
    : 'positions: flat';

export const balanceText = (s: StatusDoc): string =>
  s.equity ? `equity ${money(s.equity.equity)} · balance ${money(s.equity.balance)} · unrealized ${money(s.equity.unrealizedPnl)}` : 'equity: not measured yet';

export const pnlText = (s: StatusDoc): string => (s.equity ? `PnL today ${money(s.equity.dayPnl)} · this week ${money(s.equity.weekPnl)}` : 'PnL: not measured yet');
