-- Analytics: manual inputs with history (sentiment, ETF flows, liquidation maps), the flow view and the named
-- signals of every full snapshot. Times are UTC milliseconds; signal values are float64 analytics, not money.

CREATE TABLE manual_inputs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  -- When the data is from (its age is measured from here); received_at is when it was entered.
  as_of BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  payload JSON NOT NULL,
  source VARCHAR(200) NULL,
  comment TEXT NULL,
  KEY ix_manual_kind (kind, id)
) ENGINE=InnoDB;

CREATE TABLE flows (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  risk_score DOUBLE NOT NULL,
  crowd_bias VARCHAR(8) NULL,
  trap_index DOUBLE NULL,
  funding_rate DOUBLE NULL,
  oi_change_pct DOUBLE NULL,
  sentiment DOUBLE NULL,
  etf_flow_usd DOUBLE NULL,
  warnings JSON NOT NULL,
  data JSON NOT NULL,
  UNIQUE KEY uq_flow (symbol, ts),
  KEY ix_flow_ts (ts)
) ENGINE=InnoDB;

-- One row per full snapshot: every named signal the decision engine may vote on, as a column (NULL: no data
-- at that snapshot, so availability is part of the history). Wide, so factor analysis is one indexed scan.
CREATE TABLE signals (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  price DOUBLE NOT NULL,
  regime VARCHAR(16) NULL,
  regime_confidence DOUBLE NULL,
  mtf_alignment DOUBLE NULL,
  momentum_1h DOUBLE NULL,
  structure_4h VARCHAR(8) NULL,
  rsi DOUBLE NULL,
  macd_hist DOUBLE NULL,
  adx DOUBLE NULL,
  bb_width DOUBLE NULL,
  zscore DOUBLE NULL,
  vwap_dev DOUBLE NULL,
  gk_vol DOUBLE NULL,
  cvd DOUBLE NULL,
  vpin DOUBLE NULL,
  ofi DOUBLE NULL,
  obi DOUBLE NULL,
  whale_flow DOUBLE NULL,
  as_fair_value_dev DOUBLE NULL,
  funding_rate DOUBLE NULL,
  crowd_score DOUBLE NULL,
  trap_index DOUBLE NULL,
  sentiment DOUBLE NULL,
  etf_flow_usd DOUBLE NULL,
  risk_score DOUBLE NULL,
  ml_p_up DOUBLE NULL,
  hour_utc TINYINT NOT NULL,
  session VARCHAR(8) NOT NULL,
  UNIQUE KEY uq_signal (symbol, ts),
  KEY ix_signal_ts (ts)
) ENGINE=InnoDB;
