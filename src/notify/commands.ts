// Telegram commands: validates each update, drops any chat not on the allowlist, and turns the commands into
// control-socket requests (the same path as the CLI): reads go to the query layer (`query`, shared with `bosun status`
// and the HTTP API), actions to the operator. Guarantees nothing a chat sends reaches the daemon except these commands,
// and /flatten, /forceexit and /killswitch only with a fresh single-use confirmation code.
import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { targets } from '../cli/format.js';
import type { StatusDoc } from '../daemon/status.js';
import type { ActionResult } from '../ops/operator.js';
import type { LogView, PeriodPnl, ProfitSummary, SymbolPerformance, TradeView } from '../ops/queries/index.js';
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
const code = z.string().regex(/^\d{6}$/, 'the confirmation code has six digits');
/** An optional count: `/trades 5`. */
const upTo = (max: number) => z.union([noArgs, z.tuple([z.string().regex(/^\d{1,3}$/, 'expected a number').transform(Number).pipe(z.number().int().min(1).max(max, `at most ${max}`))])]);
const symbolArg = z.string().regex(/^[A-Za-z0-9]+(\/[A-Za-z0-9]+(:[A-Za-z0-9]+)?)?$/, 'expected a symbol like BTC/USDT:USDT (or BTC)');
export const commandSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('help'), args: noArgs }),
  z.object({ name: z.literal('start'), args: noArgs }),
  z.object({ name: z.literal('status'), args: noArgs }),
  z.object({ name: z.literal('positions'), args: noArgs }),
  z.object({ name: z.literal('trades'), args: upTo(50) }),
  z.object({ name: z.literal('profit'), args: noArgs }),
  z.object({ name: z.literal('daily'), args: upTo(60) }),
  z.object({ name: z.literal('weekly'), args: upTo(52) }),
  z.object({ name: z.literal('monthly'), args: upTo(24) }),
  z.object({ name: z.literal('performance'), args: noArgs }),
  z.object({ name: z.literal('balance'), args: noArgs }),
  z.object({ name: z.literal('pnl'), args: noArgs }),
  z.object({ name: z.literal('count'), args: noArgs }),
  z.object({ name: z.literal('logs'), args: upTo(30) }),
  z.object({ name: z.literal('pause'), args: noArgs }),
  z.object({ name: z.literal('resume'), args: noArgs }),
  z.object({ name: z.literal('flatten'), args: z.union([noArgs, z.tuple([code])]) }),
  z.object({ name: z.literal('forceexit'), args: z.union([z.tuple([symbolArg]), z.tuple([symbolArg, code])]) }),
  z.object({ name: z.literal('killswitch'), args: z.union([noArgs, z.tuple([code])]) }),
]);
export type Command = z.infer<typeof commandSchema>;

export const HELP = [
  '/status – health, actors, equity, risk state',
  '/positions – open positions with stop and take-profit legs',
  '/trades [n] – the last n closed trades (default 10)',
  '/profit – totals over every closed trade',
  '/daily [n] – PnL per day, last n days (default 7)',
  '/weekly [n] – PnL per week (default 4)',
  '/monthly [n] – PnL per month (default 3)',
  '/performance – closed trades and PnL per symbol',
  '/balance – equity and balance',
  '/pnl – day and week PnL',
  '/count – open positions against the limit',
  '/logs [n] – the last n warnings and errors (default 10)',
  '/pause – no new entries (protection stays active)',
  '/resume – allow new entries again (releases the kill switch)',
  '/flatten – close every position at market (asks for confirmation)',
  '/forceexit SYMBOL – close one symbol\'s position at market (asks for confirmation)',
  '/killswitch – pause, flatten and halt until resumed (asks for confirmation)',
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
  /** The daemon's symbols, so `/forceexit BTC` can name BTC/USDT:USDT. */
  symbols?: readonly string[];
}

type Confirmable = 'flatten' | 'forceexit' | 'killswitch';

export class CommandHandler {
  private readonly pending = new Map<string, { action: Confirmable; symbol: string | null; code: string; until: number }>();
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

  private query<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    return this.d.control('query', { name, args }) as Promise<T>;
  }

  /** `BTC` → `BTC/USDT:USDT` when exactly one traded symbol has that base. */
  private symbol(raw: string): string {
    const syms = this.d.symbols ?? [];
    const exact = syms.find((s) => s.toUpperCase() === raw.toUpperCase());
    if (exact) return exact;
    const byBase = syms.filter((s) => s.split('/')[0] === raw.toUpperCase());
    if (byBase.length === 1) return byBase[0]!;
    throw new Error(`not a traded symbol: ${raw}${syms.length ? ` (trading ${syms.join(', ')})` : ''}`);
  }

  /** First call: a fresh code. Second call with the code: runs `act` once. */
  private async confirmed(chatId: string, action: Confirmable, symbol: string | null, given: string | undefined, ask: string, act: () => Promise<string>): Promise<string> {
    const now = this.wallNow();
    const usage = `/${action}${symbol ? ` ${symbol}` : ''}`;
    if (given === undefined) {
      const c = String(randomInt(0, 1_000_000)).padStart(6, '0');
      this.pending.set(chatId, { action, symbol, code: c, until: now + this.d.confirmTtlMs });
      return `${ask}\nTo confirm, send ${usage} ${c} within ${Math.round(this.d.confirmTtlMs / 1000)} s.`;
    }
    const p = this.pending.get(chatId);
    this.pending.delete(chatId);
    if (!p || p.until < now || p.code !== given || p.action !== action || p.symbol !== symbol) return `no matching confirmation (wrong or expired code): send ${usage} again`;
    return act();
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
      case 'trades':
        return tradesText(await this.query<TradeView[]>('trades', { limit: c.args[0] ?? 10 }));
      case 'profit':
        return profitText(await this.query<ProfitSummary>('profit'));
      case 'daily':
      case 'weekly':
      case 'monthly': {
        const period = ({ daily: 'day', weekly: 'week', monthly: 'month' } as const)[c.name];
        const n = c.args[0] ?? ({ daily: 7, weekly: 4, monthly: 3 } as const)[c.name];
        return periodText(period, await this.query<PeriodPnl[]>('pnl', { period, n }));
      }
      case 'performance':
        return performanceText(await this.query<SymbolPerformance[]>('performance'));
      case 'count': {
        const r = await this.query<{ open: number; max: number; symbols: string[] }>('count');
        return `open positions: ${r.open} of ${r.max}${r.symbols.length ? ` (${r.symbols.join(', ')})` : ''}`;
      }
      case 'logs':
        return logsText(await this.query<LogView[]>('logs', { limit: c.args[0] ?? 10 }));
      case 'pause':
      case 'resume': {
        await this.d.control(c.name, { by, source: 'telegram' });
        return c.name === 'pause' ? `paused by ${by}: no new entries; stops and targets stay active` : `resumed by ${by}: new entries allowed`;
      }
      case 'flatten':
        return this.confirmed(chatId, 'flatten', null, c.args[0], 'This closes EVERY position at market and cancels entries.', async () => {
          const r = (await this.d.control('flatten', { by, source: 'telegram' })) as Record<string, unknown>;
          return `flatten done by ${by}: ${JSON.stringify(r.result ?? r)}`;
        });
      case 'forceexit': {
        const symbol = this.symbol(c.args[0]);
        return this.confirmed(chatId, 'forceexit', symbol, c.args[1], `This closes the ${symbol} position at market and cancels its entries.`, async () => {
          const r = (await this.d.control('force-exit', { by, source: 'telegram', symbol })) as Record<string, unknown>;
          return `force exit of ${symbol} done by ${by}: ${JSON.stringify(r.result ?? r)}`;
        });
      }
      case 'killswitch':
        return this.confirmed(chatId, 'killswitch', null, c.args[0], 'KILL SWITCH: pause, close EVERY position at market, and halt until /resume.', async () => {
          const r = (await this.d.control('kill-switch', { by, source: 'telegram', reason: `kill switch from Telegram by ${by}`.slice(0, 200) })) as ActionResult;
          return `kill switch ${r.ok ? 'done' : 'INCOMPLETE'} by ${by}: trading halted until /resume${r.ok ? '' : ` (${JSON.stringify(r.result)})`}`;
        });
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
    ? s.positions.map((p) => `${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice} · stop ${p.stopLoss ?? 'NONE'} · ${targets(p.takeProfits)} · uPnL ${money(p.unrealizedPnl)}`).join('\n')
    : 'positions: flat';

const day = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' '));

export const tradesText = (ts: TradeView[]): string =>
  ts.length ? ts.map((t) => `${day(t.closedAt)} ${t.side} ${t.qty} ${t.symbol} ${t.entryPrice} → ${t.exitPrice ?? '?'} · net ${money(t.netPnl)} (${t.exitReason ?? '?'})`).join('\n') : 'no closed trade yet';

export const profitText = (p: ProfitSummary): string =>
  p.closedTrades
    ? [
        `closed trades ${p.closedTrades} (open ${p.openTrades}) · won ${p.wins}, lost ${p.losses} · win rate ${p.winRate === null ? '-' : `${(p.winRate * 100).toFixed(1)} %`}`,
        `net PnL ${money(p.netPnl)} · gross profit ${money(p.grossProfit)} · gross loss ${money(p.grossLoss)} · profit factor ${p.profitFactor ?? '∞'}`,
        `fees ${money(p.fees)} · funding ${money(p.funding)} · best ${p.bestSymbol ?? '-'} · first ${day(p.firstTradeAt)} · last ${day(p.lastTradeAt)}`,
      ].join('\n')
    : `no closed trade yet (open ${p.openTrades})`;

export const periodText = (period: 'day' | 'week' | 'month', rows: PeriodPnl[]): string =>
  [`PnL per ${period} (closed trades)`, ...rows.map((r) => `${r.start}: ${money(r.netPnl)} · ${r.trades} trade${r.trades === 1 ? '' : 's'}${r.trades ? `, ${r.wins} won` : ''}`)].join('\n');

export const performanceText = (rows: SymbolPerformance[]): string =>
  rows.length ? rows.map((r, i) => `${i + 1}. ${r.symbol}: ${money(r.netPnl)} · ${r.trades} trades · win rate ${r.winRate === null ? '-' : `${(r.winRate * 100).toFixed(0)} %`}`).join('\n') : 'no closed trade yet';

export const logsText = (rows: LogView[]): string =>
  rows.length ? rows.map((l) => `${day(l.ts)} ${l.level.toUpperCase()} ${l.actor}: ${l.msg.slice(0, 300)}`).join('\n') : 'no warning or error logged';

export const balanceText = (s: StatusDoc): string =>
  s.equity ? `equity ${money(s.equity.equity)} · balance ${money(s.equity.balance)} · unrealized ${money(s.equity.unrealizedPnl)}` : 'equity: not measured yet';

export const pnlText = (s: StatusDoc): string => (s.equity ? `PnL today ${money(s.equity.dayPnl)} · this week ${money(s.equity.weekPnl)}` : 'PnL: not measured yet');
