// Payload shapes shared by several message families. Types only.
// Every alert carries a stable code so the notifier can coalesce repeats.
export type Severity = 'info' | 'warning' | 'error' | 'critical';

export interface AlertPayload {
  severity: Severity;
  /** Stable machine-readable code, e.g. `market.stale`, `risk.daily_drawdown`. */
  code: string;
  text: string;
  symbol?: string;
  data?: Record<string, unknown>;
}
