-- Reconciliation and PnL: the audit of every correction reconciliation makes, how far the DB's fills are known
-- complete, funding payments, and unrealised/net PnL per position and in total. Times are UTC ms (venue clock).

-- One row per correction of the DB by reconciliation (the exchange is the truth): what, before, after, why.
CREATE TABLE reconcile_audit (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ts BIGINT NOT NULL,
  symbol VARCHAR(32) NULL,
  -- Stable code, the same as the anomaly's (e.g. reconcile.position_mismatch).
  code VARCHAR(64) NOT NULL,
  -- What was changed, e.g. `position:12`, `order:bsn-…`.
  subject VARCHAR(96) NOT NULL,
  before_state JSON NULL,
  after_state JSON NULL,
  why TEXT NOT NULL,
  KEY ix_audit_ts (ts),
  KEY ix_audit_subject (subject)
) ENGINE=InnoDB;

-- Per symbol: every fill with ts below fills_complete_to is in the DB (set by reconciliation after a full fetch).
CREATE TABLE reconcile_state (
  symbol VARCHAR(32) NOT NULL PRIMARY KEY,
  fills_complete_to BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

-- Funding payments from the exchange's income history, stored once (its transaction id).
CREATE TABLE funding_payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  tran_id VARCHAR(64) NOT NULL,
  -- Positive: received; negative: paid.
  amount DECIMAL(30,12) NOT NULL,
  asset VARCHAR(12) NOT NULL,
  position_id BIGINT NULL,
  ts BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY uq_funding_tran (symbol, tran_id),
  KEY ix_funding_ts (ts)
) ENGINE=InnoDB;

-- Per position: unrealised PnL at the last mark price; net PnL = realised - fees + funding.
ALTER TABLE positions
  ADD COLUMN mark_price DECIMAL(30,12) NULL,
  ADD COLUMN unrealized_pnl DECIMAL(30,12) NOT NULL DEFAULT 0,
  ADD COLUMN marked_at BIGINT NULL,
  ADD COLUMN net_pnl DECIMAL(30,12) AS (realized_pnl - fees + funding) PERSISTENT;

-- In total, at each equity point: realised, fees and funding summed over all positions up to then.
ALTER TABLE equity_curve
  ADD COLUMN realized_pnl DECIMAL(30,12) NULL,
  ADD COLUMN fees DECIMAL(30,12) NULL,
  ADD COLUMN funding DECIMAL(30,12) NULL;
