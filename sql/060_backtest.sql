-- Backtests, walk-forward validations, ML weight overrides, promotions and the runs of each config.
-- A config is identified by the sha256 of its trading sections (config_hash) and of its signal side (strategy_hash).

CREATE TABLE backtest_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  config_hash CHAR(64) NOT NULL,
  strategy_hash CHAR(64) NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  -- The CSV file or `candles table`, and the sha256 of the candles replayed.
  data_source VARCHAR(255) NOT NULL,
  data_sha256 CHAR(64) NOT NULL,
  data_from BIGINT NOT NULL,
  data_to BIGINT NOT NULL,
  candles INT NOT NULL,
  trades INT NOT NULL,
  net_pnl DECIMAL(30,8) NOT NULL,
  profit_factor DOUBLE NULL,
  win_rate DOUBLE NULL,
  max_drawdown DOUBLE NOT NULL,
  metrics JSON NOT NULL,
  trades_json JSON NOT NULL,
  -- sha256 of the JSON result (`bosun backtest --json`): the same inputs give the same hash.
  result_sha256 CHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  KEY ix_backtest_config (config_hash, id)
) ENGINE=InnoDB;

CREATE TABLE walkforward_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  config_hash CHAR(64) NOT NULL,
  strategy_hash CHAR(64) NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  model_kind VARCHAR(16) NOT NULL,
  data_from BIGINT NOT NULL,
  data_to BIGINT NOT NULL,
  windows INT NOT NULL,
  oos_rows INT NOT NULL,
  oos_accuracy DOUBLE NOT NULL,
  -- Mean of the up and down hit rates: 0.5 for a model without skill, whatever the share of up rows.
  oos_balanced_accuracy DOUBLE NOT NULL,
  oos_log_loss DOUBLE NOT NULL,
  baseline_log_loss DOUBLE NOT NULL,
  -- Demoted when oos_balanced_accuracy <= threshold (0.5 + margin) or oos_log_loss >= baseline_log_loss.
  threshold DOUBLE NOT NULL,
  demoted TINYINT(1) NOT NULL,
  ml_multiplier DOUBLE NOT NULL,
  report JSON NOT NULL,
  created_at BIGINT NOT NULL,
  KEY ix_walkforward_config (config_hash, id)
) ENGINE=InnoDB;

-- Signal weight multipliers decided outside the learning loop (walk-forward demotes or re-elevates the ML signal).
-- The decision engine applies them whether or not learning is enabled.
CREATE TABLE signal_weight_overrides (
  scope VARCHAR(32) NOT NULL,
  source VARCHAR(32) NOT NULL,
  multiplier DECIMAL(12,8) NOT NULL,
  origin VARCHAR(16) NOT NULL,
  ref_id BIGINT NULL,
  reason VARCHAR(255) NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (scope, source)
) ENGINE=InnoDB;

CREATE TABLE signal_weight_override_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  scope VARCHAR(32) NOT NULL,
  source VARCHAR(32) NOT NULL,
  ts BIGINT NOT NULL,
  old_multiplier DECIMAL(12,8) NULL,
  new_multiplier DECIMAL(12,8) NOT NULL,
  origin VARCHAR(16) NOT NULL,
  ref_id BIGINT NULL,
  reason VARCHAR(255) NOT NULL,
  KEY ix_override_history (scope, source, id)
) ENGINE=InnoDB;

-- Every promotion request, passed or refused, with its reasons.
CREATE TABLE promotions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  config_hash CHAR(64) NOT NULL,
  strategy_hash CHAR(64) NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  target VARCHAR(8) NOT NULL,
  passed TINYINT(1) NOT NULL,
  reasons JSON NOT NULL,
  backtest_run_id BIGINT NULL,
  walkforward_run_id BIGINT NULL,
  track_record JSON NULL,
  requested_by VARCHAR(128) NOT NULL,
  created_at BIGINT NOT NULL,
  KEY ix_promotion (target, config_hash, id)
) ENGINE=InnoDB;

-- Each daemon start with the config it runs (the paper/testnet track record a mainnet promotion needs).
CREATE TABLE config_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  config_hash CHAR(64) NOT NULL,
  strategy_hash CHAR(64) NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  mode VARCHAR(8) NOT NULL,
  -- Clock time (accelerated in paper) and wall time.
  started_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  wall_started_at BIGINT NOT NULL,
  wall_last_seen_at BIGINT NOT NULL,
  KEY ix_config_runs (strategy_hash, started_at)
) ENGINE=InnoDB;
