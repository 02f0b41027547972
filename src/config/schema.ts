// The whole daemon config as one strict schema, composed from per-section schemas.
// Guarantees a parsed Config is complete: config/default.json supplies every value, files override.
import { z } from 'zod';
import { aiSchema } from './sections/ai.js';
import { backtestSchema } from './sections/backtest.js';
import { clockSchema, controlSchema, dbSchema, logSchema, modeSchema } from './sections/core.js';
import { exchangeSchema } from './sections/exchange.js';
import { marketSchema } from './sections/market.js';
import { opsSchema } from './sections/ops.js';
import { venueSchema } from './sections/venue.js';
import {
  analyticsSchema, decisionSchema, executionSchema, notifierSchema, reconcilerSchema, riskSchema,
} from './sections/trading.js';

export const configSchema = z
  .strictObject({
    mode: modeSchema,
    symbols: z.array(z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+:[A-Z0-9]+$/, 'expected a perpetual like BTC/USDT:USDT')).min(1),
    clock: clockSchema,
    db: dbSchema,
    exchange: exchangeSchema,
    market: marketSchema,
    analytics: analyticsSchema,
    decision: decisionSchema,
    risk: riskSchema,
    execution: executionSchema,
    reconciler: reconcilerSchema,
    notifier: notifierSchema,
    venue: venueSchema,
    control: controlSchema,
    ops: opsSchema,
    log: logSchema,
    backtest: backtestSchema,
    ai: aiSchema,
  })
  .superRefine((c, ctx) => {
    const allowed: Record<string, string[]> = { paper: ['paper'], testnet: ['demo', 'testnet'], mainnet: ['mainnet'] };
    if (!allowed[c.mode]!.includes(c.exchange.environment)) {
      ctx.addIssue({
        code: 'custom', path: ['exchange', 'environment'],
        message: `mode ${c.mode} cannot trade on environment ${c.exchange.environment}; use ${allowed[c.mode]!.join(' or ')}`,
      });
    }
    if (c.mode !== 'paper' && c.clock.speed !== 1) {
      ctx.addIssue({ code: 'custom', path: ['clock', 'speed'], message: 'only paper mode may run an accelerated clock; set it to 1' });
    }
    if (c.clock.pace === 'lockstep') {
      const why = c.mode !== 'paper' ? 'paper mode' : c.exchange.url !== null ? 'the embedded venue (exchange.url null)' : c.venue.matching !== 'bars' ? 'venue.matching "bars"' : null;
      if (why) ctx.addIssue({ code: 'custom', path: ['clock', 'pace'], message: `a lockstep clock needs ${why}` });
      // A bar is one step of 60 s of clock: the feed's silence watchdog (wall ms × speed) must not fire between two.
      else if (c.exchange.stream.staleAfterMs * c.clock.speed < 10 * 60_000) {
        ctx.addIssue({ code: 'custom', path: ['clock', 'speed'], message: `a lockstep clock needs exchange.stream.staleAfterMs × clock.speed ≥ 10 minutes (a bar is a 1-minute step); raise clock.speed` });
      }
    }
    if (c.mode === 'paper' && c.exchange.venue !== 'sim') {
      ctx.addIssue({ code: 'custom', path: ['exchange', 'venue'], message: 'paper mode trades on the simulated venue; set it to "sim"' });
    }
    if (c.mode !== 'paper' && c.exchange.url !== null) {
      ctx.addIssue({ code: 'custom', path: ['exchange', 'url'], message: 'only paper mode may point at a loopback venue; set it to null' });
    }
  });

export type Config = z.infer<typeof configSchema>;
