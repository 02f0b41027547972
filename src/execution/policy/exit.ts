// The management plan of an open, protected position as a pure function: close at market past its max holding time or
// when the mark is through the level its stop rules want; otherwise move the stop (new first, old cancelled after).
// Guarantees: pure; the same inputs give the same plan live and in backtests; a stop only tightens (stops.ts), and is
// not moved while the position's entry still works.
import { str } from '../../domain/decimal.js';
import type { Leg } from '../../domain/ids.js';
import { coveringStops, stopReplacement, type HeldOrder, type PlannedOrder, type PlanPosition } from './protection.js';
import { nextPeak, stopMove, type ProtectionConfig, type StopRule } from './stops.js';

export interface ManageInput {
  position: PlanPosition;
  /** The stop the position opened with (1R for breakeven). */
  initialStop: string | null;
  /** Best mark so far (null: none seen yet). */
  peak: number | null;
  mark: number | undefined;
  atr: number | null;
  held: HeldOrder[];
  /** Target legs already filled. */
  targetsFilled: number;
  /**
   * An entry order of the position is still working: the stop is not moved (the replacement of a closePosition stop is
   * reduce-only for today's quantity, which the entry's next fill would outgrow), only exits apply.
   */
  entryWorking?: boolean;
  now: number;
  cfg: ProtectionConfig;
}

export type ManagePlan =
  /** Close all of it at market (reduce-only) under this leg. */
  | { kind: 'exit'; leg: Extract<Leg, 'time' | 'trail'>; rule: StopRule | 'time'; peak: number | null }
  /** Place `order` (the tighter stop), then cancel `cancel` and any looser stop left. */
  | { kind: 'move'; order: PlannedOrder; cancel: string[]; rule: StopRule; peak: number }
  /** Nothing to place; `cancel` looser duplicate stops a failed cancel left behind. */
  | { kind: 'hold'; cancel: string[]; peak: number | null };

export const pastMaxHold = (openedAt: number, now: number, maxHoldMs: number): boolean => maxHoldMs > 0 && now - openedAt >= maxHoldMs;

export function managePlan(i: ManageInput): ManagePlan {
  const p = i.position;
  if (pastMaxHold(p.openedAt, i.now, i.cfg.maxHoldMs)) return { kind: 'exit', leg: 'time', rule: 'time', peak: i.peak };
  if (i.mark === undefined) return { kind: 'hold', cancel: [], peak: i.peak };
  const peak = nextPeak(p.side, i.peak, i.mark);
  const stops = coveringStops(p, i.held);
  const current = stops[0];
  if (!current?.stopPrice) return { kind: 'hold', cancel: [], peak };
  const move = stopMove({
    side: p.side, entry: p.entryPrice, initialStop: i.initialStop, currentStop: current.stopPrice, peak, mark: i.mark, atr: i.atr, targetsFilled: i.targetsFilled, cfg: i.cfg,
  });
  if (move?.kind === 'exit') return { kind: 'exit', leg: 'trail', rule: move.rule, peak };
  if (move?.kind === 'move' && i.entryWorking) return { kind: 'hold', cancel: [], peak };
  if (move?.kind === 'move') return { kind: 'move', order: stopReplacement(p, current, str(move.stop)), cancel: stops.map((o) => o.clientId), rule: move.rule, peak };
  // A move whose cancel failed left the old, looser stop: the tightest one stays, the others go.
  return { kind: 'hold', cancel: stops.slice(1).map((o) => o.clientId), peak };
}

/** The reduce-only market close of a whole position. */
export const marketClose = (p: Pick<PlanPosition, 'symbol' | 'side' | 'qty'>, leg: Leg): PlannedOrder => ({
  leg, req: { symbol: p.symbol, side: p.side === 'long' ? 'sell' : 'buy', type: 'market', qty: p.qty, reduceOnly: true },
});
