// Human-readable rendering of the status document for the terminal.
// Guarantees every actor gets one line with the same columns, whatever its state, and unknown values show as "?".
import type { StatusDoc } from '../daemon/status.js';

const age = (ms: number | null): string => (ms === null ? '-' : ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)}m` : `${(ms / 3_600_000).toFixed(1)}h`);
/** An actor thread's V8 heap: MB in use / MB held. */
const heapMb = (h: { used: number; total: number } | null | undefined): string => (h ? `${Math.round(h.used / 1048576)}/${Math.round(h.total / 1048576)}` : '-');
const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const money = (s: string | null | undefined) => (s === null || s === undefined ? '?' : Number(s).toFixed(2));

/** Take-profit legs as `tp1 101 (0.5) · tp2 102 (0.5)`, or `target -`. */
export const targets = (legs: StatusDoc['positions'][number]['takeProfits'] | undefined): string =>
  legs?.length ? legs.map((l) => `${l.leg} ${l.price ?? '?'}${l.qty ? ` (${l.qty})` : ''}`).join(' · ') : 'target -';

export function renderStatus(s: StatusDoc): string {
  const lines: string[] = [];
  const d = s.daemon;
  lines.push(`bosun ${d.mode.toUpperCase()} · ${d.environment} via ${d.venue} (${d.endpoint}) · ${d.symbols.join(', ')} · pid ${d.pid} · up ${age(d.uptimeMs)}${d.rssBytes ? ` · RSS ${Math.round(d.rssBytes / 1048576)} MB` : ''} · clock ${d.clock.speed}× at ${iso(d.clock.now)}`);
  lines.push(`health: ${s.health.status.toUpperCase()}${s.health.reasons.map((r) => `\n  - ${r}`).join('')}`);
  const x = s.exchange;
  lines.push(`exchange: ${x.connected === null ? 'connectivity ?' : x.connected ? 'connected' : 'DISCONNECTED'} · clock offset ${x.clockOffsetMs ?? '?'} ms · latency ${x.latencyMs ?? '?'} ms (${x.source})`);
  const w = x.requestWeight;
  if (w) lines.push(`exchange usage: weight ${w.used1m ?? '?'}/${w.limit1m ?? '?'} this minute · orders ${w.orders10s ?? '?'} in 10 s, ${w.orders1m ?? '?'} in 1 min · slowed ${w.waits} request(s), ${Math.round(w.waitMs / 1000)} s${x.maintenance ? ` · MAINTENANCE since ${iso(x.maintenance.since)}` : ''}`);
  lines.push(`db: ${s.db.ok ? `ok (${s.db.latencyMs} ms, migration ${s.db.migration}${s.db.migrated ? '' : ` of ${s.db.expectedMigration}: NOT MIGRATED`})` : `DOWN: ${s.db.error}`}${s.db.embedded ? ` · ${s.db.embedded.text}` : ''}`);
  lines.push('');
  // The machine state is the last column and never cut: parallel regions make it long (`ready.trade.flat,loop.waiting`).
  lines.push(`${pad('actor', 12)} ${pad('lifecycle', 10)} ${pad('thread', 6)} ${pad('uptime', 7)} ${pad('restarts', 8)} ${pad('heartbeat', 9)} ${pad('in', 8)} ${pad('out', 8)} ${pad('in/s', 7)} ${pad('out/s', 7)} ${pad('heap MB', 9)} state`);
  for (const a of s.actors) {
    lines.push(
      `${pad(a.id, 12)} ${pad(a.lifecycle, 10)} ${pad(String(a.threadId ?? '-'), 6)} ${pad(age(a.uptimeMs), 7)} ${pad(String(a.restarts), 8)} ${pad(age(a.heartbeatAgeMs), 9)} ${pad(String(a.messagesIn), 8)} ${pad(String(a.messagesOut), 8)} ${pad(a.rates ? String(a.rates.inPerSec) : '-', 7)} ${pad(a.rates ? String(a.rates.outPerSec) : '-', 7)} ${pad(heapMb(a.heap), 9)} ${a.machineState ?? '-'}`,
    );
  }
  lines.push('');
  if (!s.positions.length) lines.push('positions: flat');
  for (const p of s.positions) lines.push(`position: ${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice}  stop ${p.stopLoss ?? 'NONE'}  ${targets(p.takeProfits)}  uPnL ${money(p.unrealizedPnl)}`);
  lines.push(s.equity ? `equity: ${money(s.equity.equity)} (balance ${money(s.equity.balance)}, unrealized ${money(s.equity.unrealizedPnl)}) · PnL day ${money(s.equity.dayPnl)} · week ${money(s.equity.weekPnl)}` : 'equity: not measured yet');
  const r = s.risk;
  lines.push(`risk: ${r.halted ? `HALTED (${r.haltReason})` : 'trading allowed'}${r.paused ? ` · PAUSED${r.pausedBy ? ` by ${r.pausedBy}` : ''}` : ''} · cooldown ${r.cooldownUntil ? `until ${iso(r.cooldownUntil)}` : 'none'}${r.breakers ? ` · breakers ${JSON.stringify(r.breakers)}` : ''}`);
  lines.push(s.lastDecision ? `last decision: ${s.lastDecision.verdict}${s.lastDecision.vetoed ? ' (vetoed)' : ''} ${s.lastDecision.symbol} at ${iso(s.lastDecision.ts)} score ${s.lastDecision.score}${s.lastDecision.sentinelNote ? ` · Sentinel ${s.lastDecision.sentinelNote}: ${s.lastDecision.sentinelReason ?? ''}` : ''}` : 'last decision: none yet');
  if (s.ai) lines.push(...aiLines(s.ai));
  const n = s.notifications;
  lines.push(`notifications: telegram ${n.telegram} · backlog ${n.backlog ?? '?'}${n.oldestPendingAgeMs !== null ? ` (oldest ${age(n.oldestPendingAgeMs)})` : ''}${n.lastError ? ` · last error: ${n.lastError}` : ''}`);
  if (s.operator.lastActions.length) lines.push(`last operator action: ${s.operator.lastActions[0]!.action} by ${s.operator.lastActions[0]!.by} at ${iso(s.operator.lastActions[0]!.ts)} (${s.operator.lastActions[0]!.status})`);
  lines.push(`metrics: ${s.metrics.url ?? s.metrics.error ?? 'off'}`);
  lines.push(`api and dashboard: ${s.api?.url ?? s.api?.error ?? 'off'}`);
  return lines.join('\n');
}

/** The AI swarm's lines: on/off, consensus per symbol with its age, answers, budget, the last Sentinel note. */
export function aiLines(a: StatusDoc['ai']): string[] {
  if (!a.on) return [`ai swarm: ${a.text}`];
  const out = [`ai swarm: ${a.text}`];
  for (const c of a.consensus) out.push(`  consensus ${c.symbol}: p_up ${c.pUp.toFixed(3)} · agreement ${c.agreement.toFixed(2)} · ${c.agents}/${c.of} agents · ${age(c.ageMs)} old`);
  if (!a.consensus.length) out.push('  consensus: none yet');
  const ans = Object.entries(a.answers).sort(([x], [y]) => (x === 'ok' ? -1 : y === 'ok' ? 1 : x.localeCompare(y))).map(([k, v]) => `${k} ${v}`).join(', ');
  out.push(`  cycles ${a.cycles ?? '?'} · answers ${ans || 'none yet'} · scored ${a.scored ?? '?'}${a.budget ? ` · budget today ${a.budget.calls}/${a.budget.callsPerDay} calls, ${a.budget.tokens}/${a.budget.tokensPerDay} tokens` : ''}${a.lastError ? ` · last error: ${a.lastError}` : ''}`);
  if (a.sentinel) out.push(`  sentinel (${a.sentinel.gate}): ${a.sentinel.reviews} reviews${Object.keys(a.sentinel.notes).length ? ` (${Object.entries(a.sentinel.notes).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}${a.lastSentinel ? ` · last: ${a.lastSentinel.note} on ${a.lastSentinel.verdict} ${a.lastSentinel.symbol} at ${iso(a.lastSentinel.ts)}: ${a.lastSentinel.reason ?? ''}` : ''}`);
  return out;
}
