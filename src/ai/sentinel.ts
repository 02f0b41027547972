// The Sentinel (seed 000's Hermes note): one agent reviews a STRONG verdict that was not vetoed against the last N decisions
// and answers CONFIRM / CAUTION / WARN with its reason. Guarantees `review` always resolves (an error, a late or invalid
// answer becomes a review with note null and the reason it failed) and the reason text is cleaned and bounded.
import type { Pool } from 'mariadb';
import type { Clock } from '../clock/clock.js';
import type { AiConfig } from '../config/sections/ai.js';
import type { Decision, SentinelReview } from '../protocol/index.js';
import { recentDecisions } from '../store/repos/ai.js';
import { parseSentinel } from './answer.js';
import type { ChatClient } from './client.js';
import { sentinelRequest } from './prompt.js';

export interface SentinelDeps {
  pool: Pool;
  ai: AiConfig;
  clock: Clock;
  client: ChatClient;
}

export class Sentinel {
  readonly stats = { reviews: 0, notes: {} as Record<string, number>, failed: {} as Record<string, number>, last: null as (SentinelReview & { decisionId: string }) | null };

  constructor(private readonly d: SentinelDeps) {}

  async review(dec: Decision): Promise<SentinelReview> {
    const { ai, clock } = this.d;
    const t0 = Date.now();
    const fail = (error: string): SentinelReview => {
      const key = error.split(':')[0]!;
      this.stats.failed[key] = (this.stats.failed[key] ?? 0) + 1;
      return { note: null, reason: '', model: ai.sentinel.model, at: clock.now(), latencyMs: Date.now() - t0, error: error.slice(0, 300) };
    };
    this.stats.reviews++;
    let recent;
    try {
      recent = await recentDecisions(this.d.pool, dec.symbol, dec.ts, ai.sentinel.lastDecisions + 1);
    } catch (err) {
      return fail(`db: ${(err as Error).message}`);
    }
    const res = await this.d.client.complete(sentinelRequest(dec, recent.filter((r) => r.id !== dec.decisionId).slice(0, ai.sentinel.lastDecisions), ai));
    if (!res.ok) return fail(`${res.reason}: ${res.detail}`);
    const p = parseSentinel(res.content);
    if (!p.ok) return fail(`${p.reason}: ${p.detail}`);
    this.stats.notes[p.value.note] = (this.stats.notes[p.value.note] ?? 0) + 1;
    const review: SentinelReview = { note: p.value.note, reason: p.value.reason, model: ai.sentinel.model, at: clock.now(), latencyMs: res.latencyMs };
    this.stats.last = { ...review, decisionId: dec.decisionId };
    return review;
  }
}
