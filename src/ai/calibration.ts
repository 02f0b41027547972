// Seed 000's calibration job: each agent's Brier score over its last N scored predictions against the base rate's; an agent
// worse than the base rate is down-weighted, one that recovers is restored. Guarantees every change is a row in
// signal_weight_override_history (scope `ai_swarm`), and an operator's pinned weight is never overwritten.
import type { Pool } from 'mariadb';
import type { AiConfig } from '../config/sections/ai.js';
import { agentScores } from '../store/repos/ai.js';
import { listOverrides, setOverride } from '../store/repos/overrides.js';
import { calibrationVerdict } from './consensus.js';

/** The scope of the agents' weight multipliers in signal_weight_overrides. */
export const AI_SCOPE = 'ai_swarm';
/** Origins: the calibration job, and an operator's pin (`bosun ai pin`), which calibration leaves alone. */
export const ORIGIN_CALIBRATION = 'ai_calibration';
export const ORIGIN_OPERATOR = 'operator';

export interface WeightChange {
  agent: string;
  from: number;
  to: number;
  reason: string;
}

/** The agents' multipliers (1 when never changed). */
export async function agentMultipliers(pool: Pool): Promise<Record<string, number>> {
  const rows = await listOverrides(pool, AI_SCOPE);
  return Object.fromEntries(rows.map((r) => [r.source, Number(r.multiplier)]));
}

/** Runs the audit for `agents` (default: all configured) and applies the changes; returns them. */
export async function calibrate(pool: Pool, cfg: Pick<AiConfig, 'agents' | 'calibration'>, now: number, agents = cfg.agents.map((a) => a.name), force = false): Promise<WeightChange[]> {
  const scores = await agentScores(pool, cfg.calibration.window, agents);
  const rows = new Map((await listOverrides(pool, AI_SCOPE)).map((r) => [r.source, r]));
  const changes: WeightChange[] = [];
  for (const agent of agents) {
    const row = rows.get(agent);
    if (row?.origin === ORIGIN_OPERATOR && !force) continue;
    const v = calibrationVerdict(scores[agent] ?? null, cfg.calibration);
    const cur = row ? Number(row.multiplier) : 1;
    // Too few scores to judge: an unpinned agent keeps its weight (a forced pass takes it back to 1).
    const to = v ? v.multiplier : force ? 1 : cur;
    const reason = v ? v.reason : 'too few scored predictions to judge; back to full weight';
    if (Math.abs(to - cur) < 1e-9 && !(force && row?.origin === ORIGIN_OPERATOR)) continue;
    await setOverride(pool, { scope: AI_SCOPE, source: agent, multiplier: to, origin: ORIGIN_CALIBRATION, refId: null, reason, now });
    changes.push({ agent, from: cur, to, reason });
  }
  return changes;
}
