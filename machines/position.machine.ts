// position machine: one symbol's lifecycle, flat → entering → in_position → exiting, spawned by the execution machine
// (one per traded symbol). Pure: it only keeps the state and the intent being worked; the account machine decides
// whether an entry may start, runs the loop tick and tells it how its entry and exit went.
// Guarantees: one intent at a time per symbol; a fill that opens a position moves it in position whatever state it is
// in; a fill that closes it returns it to flat; every change kicks the account's loop, whose next tick sees it.
import { assign, sendParent, setup } from 'xstate';
import type { Intent, PositionView } from '../src/protocol/index.js';

export type PositionPhase = 'flat' | 'entering' | 'in_position' | 'exiting';

export interface PositionInput {
  symbol: string;
}

export interface PositionContext {
  symbol: string;
  intent: Intent | null;
  position: PositionView | null;
}

export type PositionMachineEvent =
  /** The account accepted an entry on this symbol. */
  | { type: 'position.enter'; intent: Intent }
  /** A fill changed the symbol's position (view after the fill; side null: flat). */
  | { type: 'position.fill'; position: PositionView }
  /** The entry is over (filled, expired, given up). */
  | { type: 'position.entry_done' }
  | { type: 'position.exit_started' }
  | { type: 'position.exit_cleared' }
  /** Flatten, kill switch or halt: the intent is dropped (orders are the flatten's to cancel). */
  | { type: 'position.reset'; position?: PositionView | null };

const isOpen = (p: PositionView | null | undefined) => !!p && p.side !== null;

export const positionMachine = setup({
  types: { input: {} as PositionInput, context: {} as PositionContext, events: {} as PositionMachineEvent },
  actions: {
    keep: assign(({ event }) => (event.type === 'position.fill' ? { position: event.position } : {})),
    /** The account's loop runs a tick at once, seeing this machine's new state (an entry to work, or one that ended). */
    kick: sendParent({ type: 'execution.kick' }),
  },
  guards: {
    open: ({ context }) => isOpen(context.position),
    openAfter: ({ event }) => event.type === 'position.fill' && isOpen(event.position),
  },
}).createMachine({
  id: 'position',
  context: ({ input }) => ({ symbol: input.symbol, intent: null, position: null }),
  initial: 'route',
  on: {
    'position.reset': {
      target: '.route',
      actions: [assign(({ context, event }) => ({ intent: null, position: event.position === undefined ? context.position : event.position })), 'kick'],
    },
  },
  states: {
    route: { always: [{ guard: 'open', target: 'in_position' }, { target: 'flat' }] },
    flat: {
      on: {
        'position.enter': { target: 'entering', actions: [assign({ intent: ({ event }) => event.intent }), 'kick'] },
        'position.fill': [{ guard: 'openAfter', target: 'in_position', actions: ['keep', 'kick'] }, { actions: ['keep', 'kick'] }],
      },
    },
    entering: {
      on: {
        'position.fill': { actions: ['keep', 'kick'] },
        'position.entry_done': { target: 'route', actions: [assign({ intent: null }), 'kick'] },
      },
    },
    in_position: {
      on: {
        'position.fill': [{ guard: 'openAfter', actions: ['keep', 'kick'] }, { target: 'flat', actions: ['keep', 'kick'] }],
        'position.exit_started': 'exiting',
      },
    },
    exiting: {
      on: {
        'position.fill': [{ guard: 'openAfter', actions: ['keep', 'kick'] }, { target: 'flat', actions: ['keep', 'kick'] }],
        'position.exit_cleared': { target: 'route', actions: 'kick' },
      },
    },
  },
});
