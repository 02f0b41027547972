// Lockstep replay: a machine's invoked promise effects (gateway calls, ledger work, checks) count as work in flight
// from their start until they settle. Guarantees the stepper never moves time while an effect's outcome is pending.
import { fromPromise, type AnyStateMachine } from 'xstate';
import { lockstepWork } from '../clock/lockstep.js';

type PromiseCreator = (args: { input: unknown; system: unknown; self: unknown; signal: AbortSignal; emit: unknown }) => PromiseLike<unknown>;

/** `machine` with each promise actor it invokes counted; the machine itself unchanged outside lockstep. */
export function trackedEffects(machine: AnyStateMachine): AnyStateMachine {
  if (!lockstepWork.cell) return machine;
  const actors = (machine.implementations.actors ?? {}) as Record<string, { config?: unknown; transition?: unknown }>;
  const wrapped: Record<string, unknown> = {};
  for (const [name, logic] of Object.entries(actors)) {
    // fromPromise logic: its transition handles the promise's resolve event (fromCallback's has no such case).
    if (typeof logic.config !== 'function' || !String(logic.transition).includes('XSTATE_PROMISE_RESOLVE')) continue;
    const create = logic.config as PromiseCreator;
    wrapped[name] = fromPromise((args) => lockstepWork.track(Promise.resolve(create(args as never))));
  }
  return machine.provide({ actors: wrapped } as never);
}
