-- Initial schema: market data, analytics, decisions, orders, fills, positions, equity, ops tables.
-- Money and quantities are DECIMAL (read back as strings); times are UTC milliseconds (BIGINT).

CREATE TABLE meta (
  k VARCHAR(64) NOT NULL PRIMARY KEY,
  v VARCHAR(1024) NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE candles (
  symbol VARCHAR(32) NOT NULL,
  tf VARCHAR(4) NOT NULL,
  open_time BIGINT NOT NULL,
  open DECIMAL(30,12) NOT NULL,
  high DECIMAL(30,12) NOT NULL,
  low DECIMAL(30,12) NOT NULL,
  close DECIMAL(30,12) NOT NULL,
  volume DECIMAL(30,12) NOT NULL,
  taker_buy_volume DECIMAL(30,12) NULL,
  source VARCHAR(16) NOT NULL,
  PRIMARY KEY (symbol, tf, open_time)
) ENGINE=InnoDB;

CREATE TABLE snapshots (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  kind VARCHAR(8) NOT NULL,
  price DECIMAL(30,12) NOT NULL,
  regime VARCHAR(16) NULL,
  data JSON NOT NULL,
  UNIQUE KEY uq_snapshot (symbol, ts, kind),
  KEY ix_snapshot_ts (ts)
) ENGINE=InnoDB;

CREATE TABLE decisions (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  verdict VARCHAR(12) NOT NULL,
  score DECIMAL(16,8) NOT NULL,
  vetoed TINYINT(1) NOT NULL,
  vetoes JSON NOT NULL,
  source_votes JSON NOT NULL,
  intent JSON NULL,
  reasoning TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  KEY ix_decision_ts (symbol, ts)
) ENGINE=InnoDB;

CREATE TABLE positions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(5) NOT NULL,
  status VARCHAR(8) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  entry_price DECIMAL(30,12) NOT NULL,
  exit_price DECIMAL(30,12) NULL,
  stop_loss DECIMAL(30,12) NULL,
  take_profit DECIMAL(30,12) NULL,
  realized_pnl DECIMAL(30,12) NOT NULL DEFAULT 0,
  fees DECIMAL(30,12) NOT NULL DEFAULT 0,
  funding DECIMAL(30,12) NOT NULL DEFAULT 0,
  exit_reason VARCHAR(24) NULL,
  decision_id VARCHAR(64) NULL,
  opened_at BIGINT NOT NULL,
  closed_at BIGINT NULL,
  updated_at BIGINT NOT NULL,
  -- One open position per symbol (one-way mode), enforced by the database itself.
  open_symbol VARCHAR(32) AS (IF(status = 'open', symbol, NULL)) PERSISTENT,
  UNIQUE KEY uq_open_symbol (open_symbol),
  KEY ix_position_status (status, symbol)
) ENGINE=InnoDB;

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client_id VARCHAR(36) NOT NULL,
  decision_id VARCHAR(64) NULL,
  position_id BIGINT NULL,
  symbol VARCHAR(32) NOT NULL,
  leg VARCHAR(12) NOT NULL,
  attempt INT NOT NULL DEFAULT 0,
  side VARCHAR(4) NOT NULL,
  type VARCHAR(24) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  price DECIMAL(30,12) NULL,
  stop_price DECIMAL(30,12) NULL,
  reduce_only TINYINT(1) NOT NULL DEFAULT 0,
  close_position TINYINT(1) NOT NULL DEFAULT 0,
  status VARCHAR(20) NOT NULL,
  exchange_order_id VARCHAR(64) NULL,
  filled_qty DECIMAL(30,12) NOT NULL DEFAULT 0,
  avg_price DECIMAL(30,12) NULL,
  last_error TEXT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE KEY uq_client_id (client_id),
  KEY ix_order_status (status, symbol),
  KEY ix_order_decision (decision_id)
) ENGINE=InnoDB;

CREATE TABLE fills (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  trade_id VARCHAR(64) NOT NULL,
  client_id VARCHAR(36) NULL,
  exchange_order_id VARCHAR(64) NULL,
  position_id BIGINT NULL,
  side VARCHAR(4) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  price DECIMAL(30,12) NOT NULL,
  fee DECIMAL(30,12) NOT NULL,
  fee_asset VARCHAR(12) NOT NULL,
  realized_pnl DECIMAL(30,12) NOT NULL DEFAULT 0,
  is_maker TINYINT(1) NOT NULL DEFAULT 0,
  ts BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  -- A fill is stored once, whichever path (response, stream, REST poll) reported it first.
  UNIQUE KEY uq_trade (symbol, trade_id),
  KEY ix_fill_ts (ts),
  KEY ix_fill_client (client_id)
) ENGINE=InnoDB;

CREATE TABLE equity_curve (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ts BIGINT NOT NULL,
  equity DECIMAL(30,12) NOT NULL,
  balance DECIMAL(30,12) NOT NULL,
  unrealized_pnl DECIMAL(30,12) NOT NULL,
  source VARCHAR(16) NOT NULL,
  KEY ix_equity_ts (ts)
) ENGINE=InnoDB;

CREATE TABLE notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- Id of the bus message that caused it: a redelivered message never makes a second row.
  source_id VARCHAR(64) NOT NULL,
  ts BIGINT NOT NULL,
  code VARCHAR(64) NOT NULL,
  severity VARCHAR(8) NOT NULL,
  text TEXT NOT NULL,
  status VARCHAR(8) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  last_error TEXT NULL,
  sent_at BIGINT NULL,
  UNIQUE KEY uq_notification_source (source_id),
  KEY ix_notification_status (status, id)
) ENGINE=InnoDB;

CREATE TABLE logs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ts BIGINT NOT NULL,
  level VARCHAR(8) NOT NULL,
  actor VARCHAR(32) NOT NULL,
  msg TEXT NOT NULL,
  data JSON NULL,
  KEY ix_log_ts (ts)
) ENGINE=InnoDB;

CREATE TABLE actor_state (
  actor VARCHAR(32) NOT NULL PRIMARY KEY,
  incarnation VARCHAR(32) NOT NULL,
  machine_state VARCHAR(128) NOT NULL,
  lifecycle VARCHAR(12) NOT NULL,
  details JSON NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

-- State of the built-in paper venue (the "exchange" in paper mode), kept apart from the daemon's own tables.
CREATE TABLE sim_venue (
  venue_id VARCHAR(32) NOT NULL PRIMARY KEY,
  state LONGTEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;
