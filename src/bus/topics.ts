// Runtime list of every topic, checked against the compile-time registry in both directions.
// Guarantees config topology can be validated against real topic names.
import type { Topic } from '../protocol/index.js';

export const TOPICS = [
  'market.candle', 'market.trades', 'market.book', 'market.mark', 'market.alert', 'market.derivatives', 'market.liquidations',
  'analytics.snapshot',
  'decision.made', 'decision.alert', 'decision.halt',
  'execution.position', 'execution.order_updated', 'execution.position_opened', 'execution.position_closed', 'execution.alert', 'execution.entry_ended',
  'reconcile.anomaly', 'reconcile.equity', 'reconcile.drift',
  'supervisor.alert',
] as const satisfies readonly Topic[];

// Fails to compile if a topic is added to the registry but not listed above.
type Missing = Exclude<Topic, (typeof TOPICS)[number]>;
const _exhaustive: Missing extends never ? true : Missing = true;
void _exhaustive;

export const isTopic = (s: string): s is Topic => (TOPICS as readonly string[]).includes(s);
