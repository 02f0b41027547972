// Human-readable rendering of the status document for the terminal.
// Guarantees every actor gets one line with the same columns, whatever its state.
import type { StatusDoc } from '../daemon/status.js';

const age = (ms: number | null): string => (ms === null ? '-' : ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 60_000)}m`);
const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));

export function renderStatus(s: StatusDoc): string {
  const lines: string[] = [];
  const d = s.daemon;
  lines.push(`bosun ${d.mode.toUpperCase()} · ${d.environment} via ${d.venue} · pid ${d.pid} · up ${age(d.uptimeMs)} · clock ${d.clock.speed}× at ${new Date(d.clock.now).toISOString()}`);
  lines.push(`db: ${s.db.ok ? `ok (${s.db.latencyMs} ms, migration ${s.db.migration})` : `DOWN: ${s.db.error}`}`);
  lines.push('');
  lines.push(`${pad('actor', 12)} ${pad('lifecycle', 10)} ${pad('state', 26)} ${pad('thread', 6)} ${pad('uptime', 8)} ${pad('restarts', 8)} ${pad('heartbeat', 9)} ${pad('in', 8)} ${pad('out', 8)}`);
  for (const a of s.actors) {
    lines.push(`${pad(a.id, 12)} ${pad(a.lifecycle, 10)} ${pad(a.machineState ?? '-', 26)} ${pad(String(a.threadId ?? '-'), 6)} ${pad(age(a.uptimeMs), 8)} ${pad(String(a.restarts), 8)} ${pad(age(a.heartbeatAgeMs), 9)} ${pad(String(a.messagesIn), 8)} ${pad(String(a.messagesOut), 8)}`);
  }
  lines.push('');
  if (!s.positions.length) lines.push('positions: flat');
  for (const p of s.positions) lines.push(`position: ${p.side} ${p.qty} ${p.symbol} @ ${p.entryPrice}  stop ${p.stopLoss ?? 'NONE'}  target ${p.takeProfit ?? '-'}`);
  lines.push(s.equity ? `equity: ${s.equity.equity} (balance ${s.equity.balance}, unrealized ${s.equity.unrealizedPnl})` : 'equity: not measured yet');
  lines.push(`health: ${s.healthy ? 'OK' : 'DEGRADED'}`);
  return lines.join('\n');
}
