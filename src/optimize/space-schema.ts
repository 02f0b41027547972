// The schema of a search space (config path → dimension), shared by the config (each preset's default space) and
// `--space FILE`. Guarantees ranges are ordered and paths are dotted config paths; no config import (no cycle).
import { z } from 'zod';

export const dimSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('int'), low: z.number().int(), high: z.number().int(), step: z.number().int().positive().optional() }),
  z.strictObject({ type: z.literal('float'), low: z.number(), high: z.number() }),
  z.strictObject({ type: z.literal('log-float'), low: z.number().positive(), high: z.number().positive() }),
  z.strictObject({ type: z.literal('choice'), values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1) }),
]).superRefine((d, ctx) => {
  if (d.type !== 'choice' && !(d.high > d.low)) ctx.addIssue({ code: 'custom', message: `high (${d.high}) must be above low (${d.low})` });
});

/** Config path → dimension. */
export const spaceSchema = z.record(z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/, 'a dotted config path like analytics.emaFast'), dimSchema)
  .refine((s) => Object.keys(s).length > 0, { message: 'a search space needs at least one dimension' });

export const OBJECTIVES = ['sharpe', 'sortino', 'calmar', 'profit_factor', 'expectancy'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export type Dim = z.infer<typeof dimSchema>;
export type Space = z.infer<typeof spaceSchema>;
