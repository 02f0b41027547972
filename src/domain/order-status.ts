// The order status table shared by execution and reconciliation, with real-world transitions.
// Guarantees: a cancelled order can still fill, a failed cancel returns to the accepted state, and
// any transition not in the table is reported, never silently applied.
export type OrderStatus =
  | 'pending_submit' // row committed, exchange call not yet answered
  | 'new' // accepted by the exchange, nothing filled
  | 'partially_filled'
  | 'pending_cancel'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'never_placed'; // a pending_submit the exchange never received

export type OrderEvent =
  | 'accepted'
  | 'rejected'
  | 'partial_fill'
  | 'fill'
  | 'cancel_requested'
  | 'cancelled'
  | 'cancel_failed'
  | 'expired'
  | 'not_found';

type Table = Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>>;

const TABLE: Table = {
  pending_submit: {
    accepted: 'new', rejected: 'rejected', partial_fill: 'partially_filled', fill: 'filled',
    cancelled: 'cancelled', expired: 'expired', not_found: 'never_placed', cancel_requested: 'pending_cancel',
  },
  new: {
    accepted: 'new', partial_fill: 'partially_filled', fill: 'filled', cancel_requested: 'pending_cancel',
    cancelled: 'cancelled', expired: 'expired', rejected: 'rejected',
  },
  partially_filled: {
    accepted: 'partially_filled', partial_fill: 'partially_filled', fill: 'filled', cancel_requested: 'pending_cancel',
    cancelled: 'cancelled', expired: 'expired',
  },
  pending_cancel: {
    cancelled: 'cancelled', partial_fill: 'pending_cancel', fill: 'filled', expired: 'expired',
    cancel_requested: 'pending_cancel',
    // The exchange refused the cancel: the order is live again (the caller picks new vs partially_filled).
    cancel_failed: 'new', accepted: 'new',
  },
  filled: { fill: 'filled', partial_fill: 'filled' },
  // A cancel can race a fill: the exchange may report fills after it confirmed the cancel.
  cancelled: { partial_fill: 'cancelled', fill: 'filled', cancelled: 'cancelled' },
  rejected: { rejected: 'rejected' },
  expired: { expired: 'expired', partial_fill: 'expired', fill: 'filled' },
  never_placed: { not_found: 'never_placed' },
};

export class InvalidTransitionError extends Error {
  constructor(readonly from: OrderStatus, readonly event: OrderEvent) {
    super(`order status ${from} has no transition on ${event}`);
    this.name = 'InvalidTransitionError';
  }
}

/** The next status, or an InvalidTransitionError value (returned, not thrown: the caller decides). */
export function nextStatus(from: OrderStatus, event: OrderEvent, hasFilled = false): OrderStatus | InvalidTransitionError {
  const to = TABLE[from][event];
  if (to === undefined) return new InvalidTransitionError(from, event);
  if (from === 'pending_cancel' && (event === 'cancel_failed' || event === 'accepted') && hasFilled) return 'partially_filled';
  return to;
}

export const isTerminal = (s: OrderStatus): boolean => s === 'filled' || s === 'rejected' || s === 'expired' || s === 'never_placed' || s === 'cancelled';

/** Statuses in which the order may still be (or become) live on the exchange. */
export const isOpen = (s: OrderStatus): boolean => s === 'pending_submit' || s === 'new' || s === 'partially_filled' || s === 'pending_cancel';

export const ORDER_STATUSES = Object.keys(TABLE) as OrderStatus[];
export const ORDER_EVENTS: OrderEvent[] = ['accepted', 'rejected', 'partial_fill', 'fill', 'cancel_requested', 'cancelled', 'cancel_failed', 'expired', 'not_found'];
