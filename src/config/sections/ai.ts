// Schema of the ai section: the optional LLM swarm (agents as data), its client limits, the consensus blend, the
// Sentinel and calibration. Guarantees the swarm is off unless `baseUrl` is set, and the API key is never in config.
import { z } from 'zod';

const fraction = z.number().min(0).max(1);
const name = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lowercase agent name (letters, digits, _; at most 32)');

export const aiAgentSchema = z.strictObject({
  /** Stable name: predictions, scores and weight changes are kept under it. */
  name,
  /** Generalists are weighted by their measured accuracy (40 % of the blend); personas equally (60 %). */
  role: z.enum(['generalist', 'persona']),
  /** Model id as the endpoint knows it (OpenRouter `google/gemini-2.5-flash`; a llama.cpp server ignores it). */
  model: z.string().min(1).max(128),
  /** The agent's view of the market, prepended to the shared instructions. */
  persona: z.string().min(1).max(4000),
});

export const aiSchema = z
  .strictObject({
    /** OpenAI-compatible endpoint (…/v1 with /chat/completions below it); null: the swarm is off. The key comes only from BOSUN_AI_API_KEY. */
    baseUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL').nullable(),
    /** Clock-seconds between two swarm cycles per symbol (seed 000: 10 minutes). */
    intervalSec: z.number().int().min(60).max(86_400),
    /** Every agent predicts whether the close this many minutes after the snapshot is above its price; scored then. */
    horizonMin: z.number().int().min(1).max(1440),
    /** One HTTP attempt (wall ms). */
    requestTimeoutMs: z.number().int().min(100).max(600_000),
    /** One agent's whole answer, retries included (wall ms); an answer after it is counted late and left out. */
    deadlineMs: z.number().int().min(100).max(1_800_000),
    /** Attempts per agent call; 429 honours Retry-After, 5xx / timeouts / refused connections back off exponentially. */
    retry: z.strictObject({ maxAttempts: z.number().int().min(1).max(10), baseMs: z.number().int().min(1), maxMs: z.number().int().min(1) }),
    /** Requests in flight at once, per actor. */
    concurrency: z.number().int().min(1).max(64),
    /** Per UTC (wall) day, kept in MariaDB (ai_budget): a restart does not reset it. Every attempt is a call. */
    budget: z.strictObject({ callsPerDay: z.number().int().min(0), tokensPerDay: z.number().int().min(0) }),
    /** A response body larger than this is cut off and counted as rejected. */
    maxResponseBytes: z.number().int().min(1024).max(16 * 1024 * 1024),
    /** Completion tokens per answer (sent as max_tokens; the token budget reserves it before each call). */
    maxTokens: z.number().int().min(16).max(32_768),
    temperature: z.number().min(0).max(2),
    /** How the answer format is asked for: `json_schema` (OpenAI, OpenRouter, llama.cpp), `json_object`, or in the prompt only. */
    responseFormat: z.enum(['json_schema', 'json_object', 'none']),
    /** Seed 000's blend: generalists (accuracy-weighted) × `generalists` + personas (equal weight) × `swarm`. */
    blend: z.strictObject({
      generalists: fraction,
      swarm: fraction,
      /** A generalist's weight is its hit rate over its last N scored predictions, shrunk to `priorHitRate` with `priorCount` pseudo-predictions. */
      accuracyWindow: z.number().int().min(1).max(10_000),
      priorHitRate: fraction,
      priorCount: z.number().int().min(0),
      /** Agreement: the share of answers on the majority side, a side being p_up above `bullAbove` or below `bearBelow` (seed 001). */
      bullAbove: fraction,
      bearBelow: fraction,
    }).refine((b) => Math.abs(b.generalists + b.swarm - 1) < 1e-9, 'generalists + swarm must be 1').refine((b) => b.bearBelow <= b.bullAbove, 'bearBelow must be ≤ bullAbove'),
    /** The agents (seed 000's eight by default). */
    agents: z.array(aiAgentSchema).min(1).max(32),
    /** On a STRONG_BUY / STRONG_SELL that is not vetoed, one agent reviews the last N decisions: CONFIRM / CAUTION / WARN. */
    sentinel: z.strictObject({
      enabled: z.boolean(),
      model: z.string().min(1).max(128),
      persona: z.string().min(1).max(4000),
      lastDecisions: z.number().int().min(1).max(100),
      /** `advisory`: the note is written to the decision row and sent, nothing waits for it. `warn_vetoes`: the decision waits
       *  (at most `deadlineMs`) and a WARN vetoes it (`sentinel_warn`); no answer lets it through. */
      gate: z.enum(['advisory', 'warn_vetoes']),
    }),
    /** Seed 000's calibration job: scores are computed as horizons pass; every `everySec` clock-seconds an agent whose Brier
     *  score over its last `window` scored predictions is worse than the base rate's gets × `downWeight` (reversed when it recovers). */
    calibration: z.strictObject({
      everySec: z.number().int().min(60),
      window: z.number().int().min(1).max(10_000),
      minScored: z.number().int().min(1),
      downWeight: z.number().min(0).max(1),
    }),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.agents.forEach((ag, i) => {
      if (seen.has(ag.name)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'name'], message: `agent "${ag.name}" is listed twice; names must be unique` });
      seen.add(ag.name);
    });
    if (a.retry.baseMs > a.retry.maxMs) ctx.addIssue({ code: 'custom', path: ['retry', 'baseMs'], message: 'retry.baseMs must be ≤ retry.maxMs' });
    if (a.requestTimeoutMs > a.deadlineMs) ctx.addIssue({ code: 'custom', path: ['requestTimeoutMs'], message: 'requestTimeoutMs must be ≤ deadlineMs' });
  });

export type AiConfig = z.infer<typeof aiSchema>;
export type AiAgent = z.infer<typeof aiAgentSchema>;
