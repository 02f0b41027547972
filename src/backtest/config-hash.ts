// Identity of a config for backtests and promotions: sha256 over the canonical JSON of what decides and sizes trades.
// Guarantees the same trading setup hashes the same in every mode file (db, ports, clock, mode are left out) and any
// edit that can change a decision, a size or a fill (or the model file's bytes) changes the hash.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Config } from '../config/schema.js';
import { fromRoot } from '../paths.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON with object keys sorted at every level. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): Json => {
    if (x === null || typeof x !== 'object') return x as Json;
    if (Array.isArray(x)) return x.map(norm);
    return Object.fromEntries(Object.keys(x).sort().filter((k) => (x as Record<string, unknown>)[k] !== undefined).map((k) => [k, norm((x as Record<string, unknown>)[k])]));
  };
  return JSON.stringify(norm(v));
}

const sha256 = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

export const modelPath = (model: string): string => (isAbsolute(model) ? model : fromRoot(model));

/** The model file's sha256 (its path does not matter), or a marker when it cannot be read. */
function modelIdentity(model: string | null): string | null {
  if (model === null) return null;
  try {
    return sha256(readFileSync(modelPath(model)));
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

export interface ConfigIdentity {
  /** Everything that decides, sizes and fills trades. */
  hash: string;
  /** The signal side only (symbols, analytics, the active preset and decision rules, model): what a paper/testnet track record validates. */
  strategyHash: string;
  strategy: string;
}

/**
 * The AI swarm, when on: what shapes its consensus and the Sentinel (agents, models, prompts, blend, horizon, cadence, gate),
 * not its endpoint, key, timeouts or budget. Off (no baseUrl) adds nothing, so every existing hash stays as it was.
 */
function aiIdentity(c: Config): { ai?: unknown } {
  const a = c.ai;
  if (a.baseUrl === null) return {};
  return {
    ai: {
      intervalSec: a.intervalSec, horizonMin: a.horizonMin, maxTokens: a.maxTokens, temperature: a.temperature, responseFormat: a.responseFormat,
      blend: a.blend, agents: a.agents, sentinel: a.sentinel, calibration: a.calibration,
    },
  };
}

export function configIdentity(c: Config): ConfigIdentity {
  const { pool: _pool, ...analytics } = c.analytics;
  const decision = { ...c.decision, presets: { [c.decision.strategy]: c.decision.presets[c.decision.strategy] } };
  const strategyPart = { symbols: c.symbols, analytics: { ...analytics, ml: { ...analytics.ml, model: modelIdentity(analytics.ml.model) } }, decision, ...aiIdentity(c) };
  // The margin type is an account setting on the exchange: it changes no decision, size or simulated fill.
  const { marginType: _marginType, ...risk } = c.risk;
  const full = { ...strategyPart, risk, fees: { taker: c.execution.takerFee, maker: c.execution.makerFee, startingBalance: c.execution.paperStartingBalance }, slippageBps: c.backtest.slippageBps, exits: { entry: c.execution.entry, protection: c.execution.protection } };
  return { hash: sha256(canonical(full)), strategyHash: sha256(canonical(strategyPart)), strategy: c.decision.strategy };
}
