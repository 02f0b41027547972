// Operator actions (pause, resume, flatten, force-exit, kill-switch), from the CLI, Telegram or the HTTP API alike, in the main thread.
// Guarantees: each action is recorded in `operator_actions` (who, when, outcome) before it runs and after; safety
// actions still run when the DB is down (and say so); pause and kill-switch survive actor restarts and process
// restarts (kept in `meta`), and are re-applied to any actor that (re)starts.
import type { Pool } from 'mariadb';
import { z } from 'zod';
import type { Clock } from '../clock/clock.js';
import type { OperatorState } from '../daemon/status.js';
import type { Logger } from '../log/logger.js';
import type { AlertPayload } from '../protocol/index.js';
import { getMeta, setMeta } from '../store/repos/meta.js';
import type { SupervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';

export const OPERATOR_ACTIONS = ['pause', 'resume', 'flatten', 'force-exit', 'kill-switch'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export const actionArgsSchema = z.strictObject({
  by: z.string().min(1).max(128),
  source: z.enum(['cli', 'telegram', 'api']),
  reason: z.string().max(200).optional(),
  /** force-exit: the one symbol to close (its entries cancelled, its position closed at market, reduce-only). */
  symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/, 'expected a symbol like BTC/USDT:USDT').optional(),
});
export type ActionArgs = z.infer<typeof actionArgsSchema>;

export interface ActionResult {
  ok: boolean;
  action: OperatorAction;
  by: string;
  /** False when the DB could not record it (the action still ran). */
  recorded: boolean;
  result: Record<string, unknown>;
}

const PAUSED_KEY = 'ops.paused';
const KILL_KEY = 'ops.kill_switch';
/**
 * Flatten talks to the exchange several times per symbol and waits up to 15 s for it to show every symbol flat, after
 * the work queued before it (a loop tick that may itself be paced by the exchange's request weight): longer than an
 * ordinary control call, and than that wait twice over.
 */
const FLATTEN_TIMEOUT_MS = 60_000;

export interface OperatorDeps {
  sup: Supervisor;
  spec: SupervisorSpec;
  pool: Pool;
  clock: Clock;
  log: Logger;
}

export class Operator {
  private st: OperatorState = { paused: null, killSwitch: null };

  constructor(private readonly d: OperatorDeps) {
    // A restarted actor comes back unpaused: give it the operator's state again before it does anything.
    d.sup.on('lifecycle', (id: string, state: string) => {
      if (state === 'running') void this.reapply(id);
    });
  }

  state(): OperatorState {
    return this.st;
  }

  /** Reads pause and kill-switch from MariaDB; call before the actors start, so each is paused as it comes up. */
  async load(): Promise<void> {
    const read = async (k: string) => {
      const v = await getMeta(this.d.pool, k);
      return v ? JSON.parse(v) : null;
    };
    this.st = { paused: await read(PAUSED_KEY), killSwitch: await read(KILL_KEY) };
    if (this.st.paused || this.st.killSwitch) this.d.log.warn({ paused: this.st.paused, killSwitch: this.st.killSwitch }, 'operator state restored: trading stays paused');
  }

  async act(action: OperatorAction, raw: Record<string, unknown>): Promise<ActionResult> {
    const parsed = actionArgsSchema.safeParse({ source: 'cli', ...raw });
    if (!parsed.success) throw new Error(`bad ${action} request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`);
    const args = parsed.data;
    const id = await this.begin(action, args).catch((err: Error) => {
      this.d.log.error({ action, by: args.by, err: err.message }, 'could not record the operator action in the DB; running it anyway');
      return null;
    });
    this.d.log.warn({ action, by: args.by, source: args.source }, `operator: ${action}`);
    try {
      const result = await this.run(action, args);
      const ok = result.ok !== false;
      await this.finish(id, ok ? 'ok' : 'failed', result, null);
      return { ok, action, by: args.by, recorded: id !== null, result };
    } catch (err) {
      await this.finish(id, 'failed', null, (err as Error).message);
      this.alert({ severity: 'error', code: 'ops.action_failed', text: `${action} by ${args.by} failed: ${(err as Error).message}` });
      throw err;
    }
  }

  private async run(action: OperatorAction, a: ActionArgs): Promise<Record<string, unknown>> {
    const at = Date.now();
    switch (action) {
      case 'pause': {
        this.st = { ...this.st, paused: { by: a.by, at } };
        await this.persist();
        const r = await this.pauseAll();
        this.alert({ severity: 'warning', code: 'ops.paused', text: `trading paused by ${a.by}: no new entries; stops and targets stay active` });
        return r;
      }
      case 'resume': {
        const wasKilled = this.st.killSwitch !== null;
        this.st = { paused: null, killSwitch: null };
        await this.persist();
        const r = await this.each('resume', (h) => h.call('resume', (api) => api.resume(), this.d.sup.callTimeoutMs));
        this.alert({ severity: 'info', code: 'ops.resumed', text: `trading resumed by ${a.by}${wasKilled ? ' (kill switch released)' : ''}` });
        return r;
      }
      case 'flatten': {
        const r = await this.flatten(a.by);
        this.alert({ severity: 'warning', code: 'ops.flatten', text: `flatten by ${a.by}: ${JSON.stringify(r)}` });
        return { ok: true, ...r };
      }
      case 'force-exit': {
        if (!a.symbol) throw new Error('force-exit needs a symbol');
        const r = await this.flatten(a.by, [a.symbol]);
        this.alert({ severity: 'warning', code: 'ops.force_exit', text: `force exit of ${a.symbol} by ${a.by}: ${JSON.stringify(r)}`, symbol: a.symbol });
        return { ok: true, ...r };
      }
      case 'kill-switch': {
        // Persisted first: if the process dies halfway, it restarts halted.
        const reason = a.reason ?? 'kill switch';
        this.st = { paused: this.st.paused ?? { by: a.by, at }, killSwitch: { by: a.by, at, reason } };
        await this.persist();
        const paused = await this.pauseAll();
        let flattened: Record<string, unknown>;
        try {
          flattened = await this.flatten(a.by);
        } catch (err) {
          flattened = { error: (err as Error).message };
        }
        const halted = await this.halt(reason).then(() => true, (err: Error) => err.message);
        this.alert({ severity: 'critical', code: 'ops.kill_switch', text: `KILL SWITCH by ${a.by}: trading halted, positions flattened (${JSON.stringify(flattened)}); /resume or \`bosun resume\` to trade again` });
        return { ok: halted === true && !('error' in flattened) && paused.ok === true, paused, flattened, halted };
      }
    }
  }

  /** Every symbol, or only `symbols` (force-exit). */
  private async flatten(by: string, symbols?: string[]): Promise<Record<string, unknown>> {
    return this.d.sup.call('execution', 'flatten', (h) =>
      h.call('flatten', (api) => api.command('flatten', symbols ? { by, symbols } : { by }), FLATTEN_TIMEOUT_MS),
    ) as Promise<Record<string, unknown>>;
  }

  private halt(reason: string): Promise<unknown> {
    return this.d.sup.call('execution', 'halt', (h) => h.call('halt', (api) => api.command('halt', { reason }), this.d.sup.callTimeoutMs));
  }

  private pauseAll(): Promise<Record<string, unknown>> {
    return this.each('pause', (h) => h.call('pause', (api) => api.pause(), this.d.sup.callTimeoutMs));
  }

  /** Runs `fn` on every actor; ok only if the trading actors (decision, execution) took it. */
  private async each(what: string, fn: (h: NonNullable<ReturnType<Supervisor['child']>>) => Promise<unknown>): Promise<Record<string, unknown>> {
    const failed: Record<string, string> = {};
    await Promise.all(this.d.spec.children.map((c) => this.d.sup.call(c.id, what, fn).catch((err: Error) => void (failed[c.id] = err.message))));
    const critical = ['decision', 'execution'].filter((id) => failed[id]);
    if (Object.keys(failed).length) this.d.log.error({ what, failed }, `${what} did not reach every actor`);
    return { ok: critical.length === 0, ...(Object.keys(failed).length ? { failed } : {}) };
  }

  private async reapply(id: string): Promise<void> {
    if (!this.st.paused && !this.st.killSwitch) return;
    try {
      await this.d.sup.call(id, 'pause', (h) => h.call('pause', (api) => api.pause(), this.d.sup.callTimeoutMs));
      if (this.st.killSwitch && id === 'execution') await this.halt(this.st.killSwitch.reason);
    } catch (err) {
      this.d.log.error({ actor: id, err: (err as Error).message }, 'could not re-apply the operator pause to a restarted actor');
    }
  }

  private async persist(): Promise<void> {
    const now = this.d.clock.now();
    await Promise.all([
      setMeta(this.d.pool, PAUSED_KEY, this.st.paused ? JSON.stringify(this.st.paused) : '', now),
      setMeta(this.d.pool, KILL_KEY, this.st.killSwitch ? JSON.stringify(this.st.killSwitch) : '', now),
    ]).catch((err: Error) => this.d.log.error({ err: err.message }, 'could not persist the operator state; it holds until the process restarts'));
  }

  private async begin(action: OperatorAction, a: ActionArgs): Promise<number> {
    const r = await this.d.pool.query<{ insertId: number }>(
      "INSERT INTO operator_actions (ts, clock_ts, action, by_whom, source, status, args) VALUES (?, ?, ?, ?, ?, 'started', ?)",
      [Date.now(), this.d.clock.now(), action, a.by, a.source, JSON.stringify(a)],
    );
    return r.insertId;
  }

  private async finish(id: number | null, status: 'ok' | 'failed', result: unknown, error: string | null): Promise<void> {
    if (id === null) return;
    await this.d.pool
      .query('UPDATE operator_actions SET status = ?, result = ?, error = ?, finished_at = ? WHERE id = ?', [status, result === null ? null : JSON.stringify(result), error, Date.now(), id])
      .catch((err: Error) => this.d.log.error({ id, err: err.message }, 'could not record the outcome of an operator action'));
  }

  private alert(a: AlertPayload): void {
    if (this.d.sup.running) this.d.sup.bus.publish('supervisor.alert', a);
  }
}
