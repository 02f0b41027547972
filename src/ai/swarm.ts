// The swarm's cycle, run by the analytics worker beside its machine: every `intervalSec` of snapshot time per symbol, each
// agent is asked about the latest snapshot, every answer (valid or not) is stored, the valid ones are blended into a
// consensus that is stored and then handed to the machine; passed horizons are scored and the calibration job runs.
// Guarantees a cycle never blocks a candle (it is async IO beside the machine), at most one cycle per symbol is in flight,
// a consensus reaches the machine only once it is in MariaDB, and an invalid or late answer is counted and left out.
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import type { AiConfig } from '../config/sections/ai.js';
import type { Logger } from '../log/logger.js';
import type { AiConsensusView, Snapshot } from '../protocol/index.js';
import { agentAccuracy, budgetToday, insertConsensus, insertPredictions, lastCycleTs, latestConsensus, scorePending, type PredictionRecord } from '../store/repos/ai.js';
import { parsePrediction } from './answer.js';
import { agentMultipliers, calibrate } from './calibration.js';
import type { ChatClient } from './client.js';
import { blendConsensus, type AgentAnswer } from './consensus.js';
import { agentRequest } from './prompt.js';

export interface SwarmDeps {
  pool: Pool;
  ai: AiConfig;
  symbols: string[];
  clock: Clock;
  log: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  client: ChatClient;
  /** A stored consensus: hand it to the analytics machine. */
  onConsensus: (symbol: string, c: AiConsensusView) => void;
  /** Counts work a lockstep replay must wait for (lockstepWork.track in the worker). */
  track?: <T>(p: Promise<T>) => Promise<T>;
}

export interface SwarmStats {
  cycles: number;
  consensus: number;
  /** Cycles in which no valid answer came back. */
  empty: number;
  /** Answers by status: ok and each rejection. */
  answers: Record<string, number>;
  scored: number;
  calibrations: number;
  lastConsensus: Record<string, AiConsensusView>;
  lastError: string | null;
  budget: { day: number; calls: number; tokens: number } | null;
}

export class Swarm {
  private readonly last: Record<string, number> = {};
  private readonly running = new Map<string, Promise<void>>();
  private lastCalibration = -Infinity;
  private closed = false;
  readonly stats: SwarmStats = { cycles: 0, consensus: 0, empty: 0, answers: {}, scored: 0, calibrations: 0, lastConsensus: {}, lastError: null, budget: null };

  constructor(private readonly d: SwarmDeps) {}

  private track<T>(p: Promise<T>): Promise<T> {
    return this.d.track ? this.d.track(p) : p;
  }

  /** Restores the cadence and the latest consensus per symbol from MariaDB (a restart neither repeats a cycle nor forgets one). */
  async start(): Promise<void> {
    Object.assign(this.last, await lastCycleTs(this.d.pool, this.d.symbols));
    const latest = await latestConsensus(this.d.pool, this.d.symbols);
    for (const [s, c] of Object.entries(latest)) {
      this.stats.lastConsensus[s] = c;
      this.d.onConsensus(s, c);
    }
    this.stats.budget = await budgetToday(this.d.pool).catch(() => null);
  }

  /** Starts a cycle for the snapshot's symbol when one is due and none is running. */
  onSnapshot(s: Snapshot): void {
    if (this.closed || this.running.has(s.symbol)) return;
    const prev = this.last[s.symbol];
    if (prev !== undefined && s.ts - prev < this.d.ai.intervalSec * 1000) return;
    this.last[s.symbol] = s.ts;
    const p = this.track(this.cycle(s).catch((err: Error) => {
      this.stats.lastError = err.message;
      this.d.log.error({ err: err.message, symbol: s.symbol }, 'ai swarm cycle failed');
    })).finally(() => this.running.delete(s.symbol));
    this.running.set(s.symbol, p);
  }

  private async cycle(s: Snapshot): Promise<void> {
    const { ai, pool, clock, client } = this.d;
    const cycleId = `${s.symbol}:${s.ts}`;
    const names = ai.agents.map((a) => a.name);
    const [accuracy, multipliers] = await Promise.all([agentAccuracy(pool, names, ai.blend.accuracyWindow), agentMultipliers(pool)]);
    const rows: PredictionRecord[] = await Promise.all(ai.agents.map(async (agent) => {
      const req = agentRequest(agent, s, ai, accuracy[agent.name] ?? null);
      const res = await client.complete(req);
      const base = {
        cycleId, symbol: s.symbol, agent: agent.name, role: agent.role, model: agent.model, madeAt: clock.now(), basedOn: s.ts, refPrice: s.price,
        horizonMin: ai.horizonMin, prompt: req.messages, attempts: res.attempts, latencyMs: res.latencyMs,
      };
      if (!res.ok) {
        return { ...base, status: res.reason, detail: res.detail, pUp: null, confidence: null, thesis: null, answer: null, tokensIn: null, tokensOut: null };
      }
      const raw = typeof res.content === 'string' ? res.content : JSON.stringify(res.content);
      const parsed = parsePrediction(res.content, ai.horizonMin);
      const tokens = { tokensIn: res.tokensIn, tokensOut: res.tokensOut, answer: raw ?? null };
      if (!parsed.ok) return { ...base, ...tokens, status: parsed.reason, detail: parsed.detail, pUp: null, confidence: null, thesis: null };
      return { ...base, ...tokens, status: 'ok', detail: null, pUp: parsed.value.pUp, confidence: parsed.value.confidence, thesis: parsed.value.thesis };
    }));
    if (this.closed) return;
    for (const r of rows) this.stats.answers[r.status] = (this.stats.answers[r.status] ?? 0) + 1;
    this.stats.cycles++;
    const madeAt = clock.now();
    await insertPredictions(pool, rows);
    const answers: AgentAnswer[] = rows.filter((r) => r.status === 'ok').map((r) => ({ agent: r.agent, role: r.role, pUp: r.pUp! }));
    const blend = blendConsensus(answers, accuracy, multipliers, ai.blend);
    const rejected = rows.filter((r) => r.status !== 'ok').map((r) => `${r.agent}: ${r.status}`);
    if (!blend) {
      this.stats.empty++;
      this.d.log.warn({ symbol: s.symbol, cycleId, rejected }, 'ai swarm: no valid answer this cycle; the consensus is unchanged');
    } else {
      const c: AiConsensusView = {
        madeAt, basedOn: s.ts, pUp: blend.pUp, agreement: blend.agreement, generalistPUp: blend.generalistPUp, swarmPUp: blend.swarmPUp,
        agents: blend.agents, of: ai.agents.length, horizonMin: ai.horizonMin, cycleId,
      };
      await insertConsensus(pool, { ...c, symbol: s.symbol, refPrice: s.price, weights: blend.weights });
      this.stats.consensus++;
      this.stats.lastConsensus[s.symbol] = c;
      this.d.onConsensus(s.symbol, c);
      this.d.log.info({ symbol: s.symbol, cycleId, pUp: Number(c.pUp.toFixed(4)), agreement: c.agreement, agents: `${c.agents}/${c.of}`, rejected }, 'ai swarm consensus');
    }
    await this.housekeeping(madeAt);
  }

  /** Scores what its horizon allows, runs the calibration job when due, refreshes the budget view. */
  private async housekeeping(now: number): Promise<void> {
    const { pool, ai } = this.d;
    const n = await scorePending(pool, now);
    this.stats.scored += n.predictions;
    if (now - this.lastCalibration >= ai.calibration.everySec * 1000) {
      this.lastCalibration = now;
      const changes = await calibrate(pool, ai, now);
      this.stats.calibrations++;
      for (const c of changes) this.d.log.warn({ agent: c.agent, from: c.from, to: c.to }, `ai calibration: ${c.agent} weight ×${c.to} (${c.reason})`);
    }
    this.stats.budget = await budgetToday(pool);
  }

  /** Cycles in flight, and the client's attempts by outcome (status details). */
  get inFlight(): number {
    return this.running.size;
  }

  get clientCounts(): Record<string, number> {
    return { ...this.d.client.counts };
  }

  /** Resolves once no cycle is running. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops starting cycles and waits for those running (their requests are aborted by the client's signal). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running.values()]);
  }
}
