-- Learning loop: per closed trade, the conditions and votes at entry; per pattern and per signal, the derived insight.
-- Every change of an insight is kept in learning_history, so any adjustment can be seen and reverted.

CREATE TABLE trade_outcomes (
  position_id BIGINT NOT NULL PRIMARY KEY,
  decision_id VARCHAR(64) NULL,
  strategy VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(5) NOT NULL,
  net_pnl DECIMAL(30,12) NOT NULL,
  win TINYINT(1) NOT NULL,
  conditions JSON NOT NULL,
  votes JSON NOT NULL,
  closed_at BIGINT NOT NULL,
  KEY ix_outcome_strategy (strategy, closed_at)
) ENGINE=InnoDB;

CREATE TABLE learning_insights (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- The strategy preset the insight belongs to.
  scope VARCHAR(32) NOT NULL,
  -- 'pattern' (Wilson interval on a condition) or 'weight' (signal evolution).
  kind VARCHAR(8) NOT NULL,
  -- insight_type:condition (e.g. regime:TRENDING_UP) or weight:<signal>.
  pattern_key VARCHAR(96) NOT NULL,
  sample_count INT NOT NULL,
  wins INT NOT NULL,
  win_rate DECIMAL(10,8) NULL,
  ci_lo DECIMAL(10,8) NULL,
  ci_hi DECIMAL(10,8) NULL,
  -- skip | reduce | boost | none (patterns), weight (signals).
  action VARCHAR(8) NOT NULL,
  multiplier DECIMAL(12,8) NOT NULL,
  -- ACTIVE (applied), PENDING (too few trades, shown only), DISABLED (turned off by the operator).
  status VARCHAR(8) NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE KEY uq_insight (scope, pattern_key)
) ENGINE=InnoDB;

CREATE TABLE learning_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  scope VARCHAR(32) NOT NULL,
  pattern_key VARCHAR(96) NOT NULL,
  ts BIGINT NOT NULL,
  old_action VARCHAR(8) NULL,
  new_action VARCHAR(8) NOT NULL,
  old_multiplier DECIMAL(12,8) NULL,
  new_multiplier DECIMAL(12,8) NOT NULL,
  old_status VARCHAR(8) NULL,
  new_status VARCHAR(8) NOT NULL,
  why VARCHAR(255) NOT NULL,
  KEY ix_history (scope, pattern_key, id)
) ENGINE=InnoDB;
