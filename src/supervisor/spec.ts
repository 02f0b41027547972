// Schema of supervisor.config.json: children as data in OTP terms, plus the data-plane topology.
// Guarantees ids are unique, topology names only known children (or "supervisor") and real topics.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isTopic } from '../bus/topics.js';
import { describeIssues } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Topic } from '../protocol/index.js';

export const SUPERVISOR_NODE = 'supervisor';

const childSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** Worker entry, relative to the compiled output (dist/), e.g. "actors/market-feed.js". */
  entry: z.string().min(1),
  restart: z.enum(['permanent', 'transient', 'temporary']),
  shutdownMs: z.number().int().min(10).max(120_000),
  resourceLimits: z
    .strictObject({
      maxOldGenerationSizeMb: z.number().int().min(16).optional(),
      maxYoungGenerationSizeMb: z.number().int().min(1).optional(),
      stackSizeMb: z.number().min(1).optional(),
    })
    .optional(),
});

const edgeSchema = z.strictObject({
  from: z.string(),
  to: z.array(z.string()).min(1),
  topics: z.array(z.string().refine(isTopic, 'unknown topic')).min(1),
});

export const supervisorSpecSchema = z
  .strictObject({
    strategy: z.literal('one_for_one'),
    /** At most `intensity` restarts within `periodMs`; one more stops everything with a non-zero exit. */
    intensity: z.number().int().min(0),
    periodMs: z.number().int().min(1),
    backoff: z.strictObject({ initialMs: z.number().int().min(0), maxMs: z.number().int().min(0) }),
    startTimeoutMs: z.number().int().min(100),
    callTimeoutMs: z.number().int().min(10),
    heartbeatMs: z.number().int().min(50),
    children: z.array(childSchema).min(1),
    topology: z.array(edgeSchema),
  })
  .superRefine((s, ctx) => {
    const ids = s.children.map((c) => c.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['children', i, 'id'], message: `duplicate child id ${id}` });
    });
    const known = new Set([...ids, SUPERVISOR_NODE]);
    s.topology.forEach((e, i) => {
      if (!known.has(e.from)) ctx.addIssue({ code: 'custom', path: ['topology', i, 'from'], message: `unknown node ${e.from}` });
      e.to.forEach((t, j) => {
        if (!known.has(t) || t === SUPERVISOR_NODE) ctx.addIssue({ code: 'custom', path: ['topology', i, 'to', j], message: `unknown subscriber ${t}` });
        if (t === e.from) ctx.addIssue({ code: 'custom', path: ['topology', i, 'to', j], message: 'a node cannot subscribe to itself' });
      });
    });
  });

export type SupervisorSpec = z.infer<typeof supervisorSpecSchema>;
export type ChildSpec = SupervisorSpec['children'][number];

/** One data-plane edge: a directed (from, to) pair and the topics it carries. */
export interface Edge {
  from: string;
  to: string;
  topics: Topic[];
}

/** Collapses topology entries into one edge per (from, to) pair. */
export function edgesOf(spec: Pick<SupervisorSpec, 'topology'>): Edge[] {
  const byPair = new Map<string, Edge>();
  for (const e of spec.topology) {
    for (const to of e.to) {
      const key = `${e.from}->${to}`;
      const edge = byPair.get(key) ?? { from: e.from, to, topics: [] };
      for (const t of e.topics as Topic[]) if (!edge.topics.includes(t)) edge.topics.push(t);
      byPair.set(key, edge);
    }
  }
  return [...byPair.values()];
}

export function loadSupervisorSpec(file: string): SupervisorSpec {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`supervisor config: cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = supervisorSpecSchema.safeParse(data);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues, [{ file, data: data as Record<string, never> }], {});
    throw new ConfigError(`supervisor config: ${file} is invalid:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
