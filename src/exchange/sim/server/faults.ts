// Fault injection for the loopback venue, scriptable per test: HTTP faults matched by method and path, used a
// given number of times. Guarantees a rule fires exactly `times` times, in the order rules were added.
import { z } from 'zod';

export const httpFaultSchema = z.discriminatedUnion('kind', [
  /** Hold the request this long before handling it (the recvWindow still counts from the client's timestamp). */
  z.strictObject({ kind: z.literal('latency'), ms: z.number().int().min(0).max(120_000) }),
  /** Refuse without handling: 429 / 418 (with Retry-After) or 5xx. */
  z.strictObject({ kind: z.literal('status'), status: z.number().int().min(400).max(599), retryAfterSec: z.number().int().min(0).optional(), code: z.number().int().optional(), msg: z.string().optional() }),
  /** Refuse without handling with a Binance error code, e.g. -1021 (timestamp outside recvWindow) or -1003. */
  z.strictObject({ kind: z.literal('error'), code: z.number().int(), msg: z.string().optional(), status: z.number().int().optional() }),
  /** Handle the request, then never answer (the client times out not knowing the outcome). */
  z.strictObject({ kind: z.literal('timeout_after_accept') }),
  /** Handle the request, then answer an error anyway (5xx, or -1007 "execution status unknown"). */
  z.strictObject({ kind: z.literal('error_after_accept'), status: z.number().int().min(400).max(599), code: z.number().int().optional(), msg: z.string().optional() }),
]);

export const faultRuleSchema = z.strictObject({
  method: z.string().optional(),
  /** Exact path, or a prefix ending in `*`. */
  path: z.string().optional(),
  /** How many matching requests it affects (default 1; 0 = until cleared). */
  times: z.number().int().min(0).optional(),
  fault: httpFaultSchema,
});

export type HttpFault = z.infer<typeof httpFaultSchema>;
export type FaultRule = z.infer<typeof faultRuleSchema>;

interface Armed extends FaultRule {
  left: number;
}

export class FaultPlan {
  private rules: Armed[] = [];
  readonly fired: Array<{ method: string; path: string; fault: HttpFault['kind'] }> = [];

  add(...rules: FaultRule[]): void {
    for (const r of rules) this.rules.push({ ...faultRuleSchema.parse(r), left: r.times === 0 ? Infinity : (r.times ?? 1) });
  }

  clear(): void {
    this.rules = [];
  }

  get pending(): number {
    return this.rules.length;
  }

  /** Faults for this request, in order; each matched rule is consumed once. */
  take(method: string, path: string): HttpFault[] {
    const out: HttpFault[] = [];
    for (const r of this.rules) {
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.path && !(r.path.endsWith('*') ? path.startsWith(r.path.slice(0, -1)) : path === r.path)) continue;
      r.left--;
      out.push(r.fault);
      this.fired.push({ method, path, fault: r.fault.kind });
    }
    this.rules = this.rules.filter((r) => r.left > 0);
    return out;
  }
}
