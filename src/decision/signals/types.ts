// The shape every signal shares: a pure function of the snapshot (and the previous one) → a vote or "unavailable".
// Guarantees a signal never invents a value: when an input is null it says which one and does not vote.
import type { SignalParams } from '../../config/sections/decision.js';
import type { Snapshot } from '../../protocol/index.js';

export type Dir = -1 | 0 | 1;

export type SignalResult = { dir: Dir; strength: number; note: string } | { unavailable: string };

/** The previous full snapshot of the same symbol (null at the very first), for signals that need a change. */
export type SignalFn<P> = (s: Snapshot, prev: Snapshot | null, p: P) => SignalResult;

export type SignalRegistry = { [K in keyof SignalParams]: SignalFn<SignalParams[K]> };

export const clamp01 = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x);
export const sign = (x: number): Dir => (x > 0 ? 1 : x < 0 ? -1 : 0);
export const vote = (dir: Dir, strength: number, note: string): SignalResult => ({ dir: strength > 0 ? dir : 0, strength: dir === 0 ? 0 : clamp01(strength), note });
export const none = (note: string): SignalResult => ({ dir: 0, strength: 0, note });
export const na = (what: string): SignalResult => ({ unavailable: what });
export const isVote = (r: SignalResult): r is { dir: Dir; strength: number; note: string } => !('unavailable' in r);

/** Rounds for notes in reasoning text. */
export const f = (x: number, dp = 3): string => (Number.isFinite(x) ? Number(x.toFixed(dp)).toString() : String(x));
