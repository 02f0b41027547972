// `bosun ai report|predictions|history|pin|unpin`: the swarm's calibration (Brier score, log loss, hit rate per agent
// against the base rate), its recent answers, and its agents' weights, reversible (`bosun learning` style).
// Guarantees every weight change is logged in signal_weight_override_history; a pinned weight is left alone by calibration.
import type { Command } from 'commander';
import { AI_SCOPE, ORIGIN_OPERATOR, calibrate } from '../../ai/calibration.js';
import type { ScoreStats } from '../../ai/consensus.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { BosunError } from '../../errors.js';
import { createPool, safeDbUrl, unreachable, type Pool } from '../../store/pool.js';
import { agentScores, budgetToday, consensusScores, scorePending, statusCounts } from '../../store/repos/ai.js';
import { listOverrides, setOverride } from '../../store/repos/overrides.js';
import { configOf, type CliContext } from '../shared.js';

type Opts = { config?: string; json?: boolean; window?: string; agent?: string; limit?: string };

async function withDb<T>(o: Opts, fn: (pool: Pool, config: Config) => Promise<T>): Promise<T> {
  const { config } = loadConfig(configOf(o.config));
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 2 });
  try {
    await pool.query('SELECT 1').catch((err: Error) => {
      throw unreachable(config.db.url, err);
    });
    return await fn(pool, config);
  } catch (err) {
    if ((err as { errno?: number }).errno === 1146) throw new BosunError(`${safeDbUrl(config.db.url)} has no AI swarm tables yet: run \`bosun migrate${o.config ? ` -c ${o.config}` : ''}\` first`);
    throw err;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

const intOpt = (flag: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BosunError(`${flag} ${v}: expected a positive integer`);
  return n;
};

const f4 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(4));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export interface ReportRow {
  agent: string;
  role: string;
  model: string;
  weight: number;
  weightOrigin: string | null;
  answers: Record<string, number>;
  scores: ScoreStats | null;
}

/** The report's rows: every configured agent (and any stored agent no longer configured), then the consensus. */
export async function aiReport(pool: Pool, config: Config, window: number): Promise<{ rows: ReportRow[]; consensus: ScoreStats | null; scoredNow: number }> {
  const scored = await scorePending(pool, Date.now(), { anyTime: true });
  const [scores, counts, weights, consensus] = await Promise.all([agentScores(pool, window), statusCounts(pool), listOverrides(pool, AI_SCOPE), consensusScores(pool, window)]);
  const w = new Map(weights.map((r) => [r.source, r]));
  const names = [...config.ai.agents.map((a) => a.name), ...Object.keys(counts).filter((a) => a !== 'sentinel' && !config.ai.agents.some((x) => x.name === a)).sort()];
  const rows = names.map((agent) => {
    const a = config.ai.agents.find((x) => x.name === agent);
    const ov = w.get(agent);
    return {
      agent, role: a?.role ?? '(not configured)', model: a?.model ?? '-', weight: ov ? Number(ov.multiplier) : 1, weightOrigin: ov?.origin ?? null,
      answers: counts[agent] ?? {}, scores: scores[agent] ?? null,
    };
  });
  return { rows, consensus, scoredNow: scored.predictions };
}

export function renderReport(r: Awaited<ReturnType<typeof aiReport>>, window: number, config: Config): string {
  const lines = [`AI swarm calibration, each agent's last ${window} scored predictions (horizon ${config.ai.horizonMin} min; Brier: lower is better, the base rate's is what always predicting the observed share of ups scores)`, ''];
  lines.push(`${pad('agent', 20)} ${pad('role', 10)} ${pad('weight', 16)} ${pad('answers ok/all', 14)} ${pad('scored', 6)} ${pad('Brier', 7)} ${pad('base', 7)} ${pad('logloss', 7)} ${pad('hit', 6)} ${pad('base', 6)} rejected`);
  for (const x of r.rows) {
    const all = Object.values(x.answers).reduce((a, n) => a + n, 0);
    const rej = Object.entries(x.answers).filter(([k]) => k !== 'ok').map(([k, n]) => `${k} ${n}`).join(', ');
    const s = x.scores;
    const weight = `×${x.weight.toFixed(2)}${x.weightOrigin === ORIGIN_OPERATOR ? ' pinned' : x.weightOrigin ? ' calib.' : ''}`;
    lines.push(`${pad(x.agent, 20)} ${pad(x.role, 10)} ${pad(weight, 16)} ${pad(`${x.answers.ok ?? 0}/${all}`, 14)} ${pad(String(s?.n ?? 0), 6)} ${pad(f4(s?.brier), 7)} ${pad(f4(s?.baseBrier), 7)} ${pad(f4(s?.logLoss), 7)} ${pad(s ? s.hitRate.toFixed(3) : '-', 6)} ${pad(s ? s.baseHitRate.toFixed(3) : '-', 6)} ${rej || '-'}`);
  }
  const c = r.consensus;
  lines.push(`${pad('(consensus)', 20)} ${pad('blend', 10)} ${pad('', 16)} ${pad('', 14)} ${pad(String(c?.n ?? 0), 6)} ${pad(f4(c?.brier), 7)} ${pad(f4(c?.baseBrier), 7)} ${pad(f4(c?.logLoss), 7)} ${pad(c ? c.hitRate.toFixed(3) : '-', 6)} ${pad(c ? c.baseHitRate.toFixed(3) : '-', 6)}`);
  if (r.scoredNow) lines.push('', `${r.scoredNow} prediction(s) scored now (their closing candle was stored)`);
  return lines.join('\n') + '\n';
}

export function register(program: Command, _ctx: CliContext): void {
  const cmd = program.command('ai').description('the AI swarm: calibration report, answers, agent weights (down-weighting is reversible)');
  const common = (c: Command) => c.option('-c, --config <file>', 'config file (its database)');

  common(cmd.command('report').description('per agent: answers and rejections, Brier score, log loss and hit rate against the base rate; the consensus; weights')
    .option('--window <n>', 'scored predictions per agent (default: ai.calibration.window)').option('--json', 'machine-readable output'))
    .action((o: Opts) => withDb(o, async (pool, config) => {
      const window = intOpt('--window', o.window, config.ai.calibration.window);
      const r = await aiReport(pool, config, window);
      if (o.json) return void process.stdout.write(JSON.stringify({ window, ...r, budget: await budgetToday(pool) }, null, 2) + '\n');
      process.stdout.write(renderReport(r, window, config));
      const b = await budgetToday(pool);
      process.stdout.write(`budget today (UTC): ${b.calls}/${config.ai.budget.callsPerDay} calls, ${b.tokens}/${config.ai.budget.tokensPerDay} tokens · swarm ${config.ai.baseUrl === null ? 'off in this config (ai.baseUrl is not set)' : 'on'}\n`);
    }));

  common(cmd.command('predictions').description('the latest answers: agent, status, p_up, outcome, thesis or why it was left out')
    .option('--agent <name>', 'one agent').option('--limit <n>', 'rows (default 20)').option('--json', 'machine-readable output'))
    .action((o: Opts) => withDb(o, async (pool) => {
      const limit = intOpt('--limit', o.limit, 20);
      const rows = await pool.query<Array<{ based_on_ts: number; symbol: string; agent: string; status: string; p_up: number | null; outcome: number | null; brier: number | null; thesis: string | null; detail: string | null }>>(
        `SELECT based_on_ts, symbol, agent, status, p_up, outcome, brier, thesis, detail FROM ai_predictions ${o.agent ? 'WHERE agent = ? ' : ''}ORDER BY id DESC LIMIT ?`, o.agent ? [o.agent, limit] : [limit]);
      if (o.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      for (const r of rows) {
        process.stdout.write(`${new Date(Number(r.based_on_ts)).toISOString()} ${r.symbol} ${pad(r.agent, 20)} ${pad(r.status, 16)} p_up ${r.p_up === null ? '-    ' : Number(r.p_up).toFixed(3)} outcome ${r.outcome ?? '-'} Brier ${f4(r.brier === null ? null : Number(r.brier))}  ${(r.thesis ?? r.detail ?? '').slice(0, 120)}\n`);
      }
    }));

  common(cmd.command('history <agent>').description('every weight change of one agent, oldest first'))
    .action((agent: string, o: Opts) => withDb(o, async (pool) => {
      const rows = await pool.query<Array<{ ts: number; old_multiplier: string | null; new_multiplier: string; origin: string; reason: string }>>(
        'SELECT ts, old_multiplier, new_multiplier, origin, reason FROM signal_weight_override_history WHERE scope = ? AND source = ? ORDER BY id', [AI_SCOPE, agent]);
      if (!rows.length) return void process.stdout.write(`${agent}: no weight change yet (full weight)\n`);
      for (const r of rows) {
        process.stdout.write(`${new Date(Number(r.ts)).toISOString()}  ×${r.old_multiplier === null ? '1 (never set)' : Number(r.old_multiplier)} → ×${Number(r.new_multiplier)}  ${r.origin}: ${r.reason}\n`);
      }
    }));

  common(cmd.command('pin <agent> <weight>').description('set an agent\'s weight by hand (0 leaves it out); calibration leaves a pinned weight alone'))
    .action((agent: string, weight: string, o: Opts) => withDb(o, async (pool, config) => {
      const w = Number(weight);
      if (!Number.isFinite(w) || w < 0 || w > 1) throw new BosunError(`weight ${weight}: expected a number from 0 to 1`);
      if (!config.ai.agents.some((a) => a.name === agent)) throw new BosunError(`no agent "${agent}" in ai.agents; use one of ${config.ai.agents.map((a) => a.name).join(', ')}`);
      const old = await setOverride(pool, { scope: AI_SCOPE, source: agent, multiplier: w, origin: ORIGIN_OPERATOR, refId: null, reason: `pinned by ${process.env.USER ?? 'operator'} with bosun ai pin`, now: Date.now() });
      process.stdout.write(`${agent}: ×${old ?? 1} → ×${w} (pinned; the next swarm cycle uses it)\n`);
    }));

  common(cmd.command('unpin <agent>').description('give an agent back to calibration: its weight is recomputed from its scores now'))
    .action((agent: string, o: Opts) => withDb(o, async (pool, config) => {
      if (!config.ai.agents.some((a) => a.name === agent)) throw new BosunError(`no agent "${agent}" in ai.agents; use one of ${config.ai.agents.map((a) => a.name).join(', ')}`);
      await scorePending(pool, Date.now(), { anyTime: true });
      const [c] = await calibrate(pool, config.ai, Date.now(), [agent], true);
      process.stdout.write(c ? `${agent}: ×${c.from} → ×${c.to} (${c.reason})\n` : `${agent}: unchanged (not pinned, and calibration agrees with its weight)\n`);
    }));
}
