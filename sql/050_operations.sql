-- Operations: who did what to the daemon and when, and the delivery state of every notification.
-- Times are UTC milliseconds; `ts` columns here are wall-clock (an operator's "when"), `clock_ts` the daemon's clock.

CREATE TABLE operator_actions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ts BIGINT NOT NULL,
  clock_ts BIGINT NOT NULL,
  action VARCHAR(24) NOT NULL,
  -- e.g. `cli:alice@vps1` or `telegram:123456789 (@alice)`.
  by_whom VARCHAR(128) NOT NULL,
  source VARCHAR(16) NOT NULL,
  -- started → ok | failed; a row left `started` means the daemon died mid-action.
  status VARCHAR(8) NOT NULL,
  args JSON NULL,
  result JSON NULL,
  error TEXT NULL,
  finished_at BIGINT NULL,
  KEY ix_operator_ts (ts)
) ENGINE=InnoDB;

-- status: pending → sent | failed; `logged` when Telegram is off; `coalesced` for a repeat folded into another row.
ALTER TABLE notifications
  MODIFY status VARCHAR(12) NOT NULL,
  ADD COLUMN wall_ts BIGINT NULL,
  ADD COLUMN coalesce_key VARCHAR(128) NULL,
  ADD COLUMN coalesced_into BIGINT NULL,
  ADD COLUMN repeats INT NOT NULL DEFAULT 0,
  -- Chat ids this row already reached, so a retry never sends it to the same chat twice.
  ADD COLUMN delivered_to JSON NULL,
  ADD KEY ix_notification_coalesce (coalesce_key, id);
