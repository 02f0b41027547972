-- The simulated venue's own state (the "exchange" in paper mode), normalized so it can be compared with the
-- daemon's ledger: account, both order books, fills, positions, funding, and the market history it served.
-- Replaces the JSON blob of sim_venue (001). Money and quantities are DECIMAL; times are UTC ms (venue time).

CREATE TABLE venue_accounts (
  venue_id VARCHAR(32) NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  balance DECIMAL(30,12) NOT NULL,
  -- leverage per symbol, last and mark prices, funding premium, next funding time, last event time
  state LONGTEXT NOT NULL,
  -- the venue's clock: { simStart, wallStart, speed, epoch }
  clock LONGTEXT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE venue_orders (
  venue_id VARCHAR(32) NOT NULL,
  order_id BIGINT NOT NULL,
  book VARCHAR(8) NOT NULL,
  client_id VARCHAR(36) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(4) NOT NULL,
  type VARCHAR(24) NOT NULL,
  status VARCHAR(20) NOT NULL,
  algo_status VARCHAR(12) NULL,
  qty DECIMAL(30,12) NOT NULL,
  filled_qty DECIMAL(30,12) NOT NULL,
  avg_price DECIMAL(30,12) NULL,
  cum_quote DECIMAL(30,12) NOT NULL,
  price DECIMAL(30,12) NULL,
  stop_price DECIMAL(30,12) NULL,
  time_in_force VARCHAR(4) NOT NULL,
  reduce_only TINYINT(1) NOT NULL,
  close_position TINYINT(1) NOT NULL,
  working_type VARCHAR(16) NOT NULL,
  actual_order_id BIGINT NULL,
  parent_algo_id BIGINT NULL,
  reason VARCHAR(128) NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  triggered_at BIGINT NULL,
  PRIMARY KEY (venue_id, order_id),
  KEY ix_venue_order_client (venue_id, client_id),
  KEY ix_venue_order_status (venue_id, status)
) ENGINE=InnoDB;

CREATE TABLE venue_fills (
  venue_id VARCHAR(32) NOT NULL,
  trade_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  client_id VARCHAR(36) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(4) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  price DECIMAL(30,12) NOT NULL,
  fee DECIMAL(30,12) NOT NULL,
  fee_asset VARCHAR(12) NOT NULL,
  realized_pnl DECIMAL(30,12) NOT NULL,
  is_maker TINYINT(1) NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (venue_id, trade_id),
  KEY ix_venue_fill_ts (venue_id, symbol, ts)
) ENGINE=InnoDB;

CREATE TABLE venue_positions (
  venue_id VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(5) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  entry_price DECIMAL(30,12) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (venue_id, symbol)
) ENGINE=InnoDB;

CREATE TABLE venue_funding (
  venue_id VARCHAR(32) NOT NULL,
  id BIGINT NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  amount DECIMAL(30,12) NOT NULL,
  rate DECIMAL(20,12) NOT NULL,
  mark_price DECIMAL(30,12) NOT NULL,
  ts BIGINT NOT NULL,
  PRIMARY KEY (venue_id, id)
) ENGINE=InnoDB;

CREATE TABLE venue_candles (
  venue_id VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  open_time BIGINT NOT NULL,
  open DECIMAL(30,12) NOT NULL,
  high DECIMAL(30,12) NOT NULL,
  low DECIMAL(30,12) NOT NULL,
  close DECIMAL(30,12) NOT NULL,
  volume DECIMAL(30,12) NOT NULL,
  taker_buy_volume DECIMAL(30,12) NULL,
  PRIMARY KEY (venue_id, symbol, open_time)
) ENGINE=InnoDB;

DROP TABLE sim_venue;
