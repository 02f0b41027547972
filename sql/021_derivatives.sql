-- Derivatives and crowd data: Binance's 5-minute statistics (open interest, long/short ratios, taker volume), live
-- open-interest samples, settled funding rates and forced liquidations; from the market feed, `bosun data download
-- --derivatives` and `bosun data import --kind metrics|funding`. Times are UTC milliseconds; a metrics row is visible
-- from its `ts` (the period's create_time) on. Upserts are idempotent: the same data written twice changes nothing.

CREATE TABLE derivatives_metrics (
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  open_interest DECIMAL(30,8) NULL,
  open_interest_value DECIMAL(30,8) NULL,
  -- count_toptrader_long_short_ratio, sum_toptrader_long_short_ratio, count_long_short_ratio, sum_taker_long_short_vol_ratio
  top_account_ratio DOUBLE NULL,
  top_position_ratio DOUBLE NULL,
  long_short_ratio DOUBLE NULL,
  taker_buy_sell_ratio DOUBLE NULL,
  source VARCHAR(16) NOT NULL,
  PRIMARY KEY (symbol, ts)
) ENGINE=InnoDB;

CREATE TABLE open_interest (
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  open_interest DECIMAL(30,8) NOT NULL,
  source VARCHAR(16) NOT NULL,
  PRIMARY KEY (symbol, ts)
) ENGINE=InnoDB;

CREATE TABLE funding_rates (
  symbol VARCHAR(32) NOT NULL,
  funding_time BIGINT NOT NULL,
  rate DECIMAL(20,12) NOT NULL,
  interval_hours SMALLINT NULL,
  mark_price DECIMAL(30,12) NULL,
  source VARCHAR(16) NOT NULL,
  PRIMARY KEY (symbol, funding_time)
) ENGINE=InnoDB;

-- One row per forceOrder event; the stream carries no id, so an event is its (symbol, time, side, price, quantity).
CREATE TABLE liquidations (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  side VARCHAR(4) NOT NULL,
  price DECIMAL(30,12) NOT NULL,
  avg_price DECIMAL(30,12) NOT NULL,
  qty DECIMAL(30,12) NOT NULL,
  notional DOUBLE NOT NULL,
  source VARCHAR(16) NOT NULL,
  UNIQUE KEY uq_liquidation (symbol, ts, side, price, qty),
  KEY ix_liquidation_ts (symbol, ts)
) ENGINE=InnoDB;

-- The signals history gains the derivatives sources (NULL: no data at that snapshot).
ALTER TABLE signals
  ADD COLUMN open_interest DOUBLE NULL,
  ADD COLUMN oi_change_pct DOUBLE NULL,
  ADD COLUMN long_short_ratio DOUBLE NULL,
  ADD COLUMN top_trader_position_ratio DOUBLE NULL,
  ADD COLUMN taker_buy_sell_ratio DOUBLE NULL,
  ADD COLUMN liq_long_usd DOUBLE NULL,
  ADD COLUMN liq_short_usd DOUBLE NULL;
