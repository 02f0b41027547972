-- The AI swarm (src/ai): every agent's prediction with its prompt and answer (valid or the reason it was left out),
-- every consensus formed from them, their scores once the horizon has passed, and the per-day call and token budget.

CREATE TABLE ai_predictions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cycle_id VARCHAR(64) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  agent VARCHAR(32) NOT NULL,
  -- generalist | persona
  role VARCHAR(12) NOT NULL,
  model VARCHAR(128) NOT NULL,
  -- Clock time the answer arrived (or was given up on), and the close time of the snapshot the prompt was built from.
  made_at BIGINT NOT NULL,
  based_on_ts BIGINT NOT NULL,
  ref_price DOUBLE NOT NULL,
  horizon_min INT NOT NULL,
  -- ok, or the rejection code (malformed_json, invalid_schema, timeout, late, rate_limited, budget, …): counted, never guessed.
  status VARCHAR(20) NOT NULL,
  detail VARCHAR(300) NULL,
  p_up DOUBLE NULL,
  confidence DOUBLE NULL,
  thesis TEXT NULL,
  prompt JSON NOT NULL,
  -- The raw answer content (cut at 16 KB), as received.
  answer MEDIUMTEXT NULL,
  tokens_in INT NULL,
  tokens_out INT NULL,
  attempts INT NOT NULL,
  latency_ms INT NOT NULL,
  -- Scored once the 1m candle closing at based_on_ts + horizon is stored: 1 when its close is above ref_price.
  outcome TINYINT NULL,
  outcome_price DOUBLE NULL,
  brier DOUBLE NULL,
  log_loss DOUBLE NULL,
  hit TINYINT NULL,
  scored_at BIGINT NULL,
  KEY ix_ai_pred_cycle (cycle_id),
  KEY ix_ai_pred_agent (agent, status, scored_at, based_on_ts),
  KEY ix_ai_pred_pending (status, outcome, based_on_ts),
  KEY ix_ai_pred_symbol (symbol, based_on_ts)
) ENGINE=InnoDB;

CREATE TABLE ai_consensus (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cycle_id VARCHAR(64) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  made_at BIGINT NOT NULL,
  based_on_ts BIGINT NOT NULL,
  ref_price DOUBLE NOT NULL,
  horizon_min INT NOT NULL,
  p_up DOUBLE NOT NULL,
  agreement DOUBLE NOT NULL,
  generalist_p_up DOUBLE NULL,
  swarm_p_up DOUBLE NULL,
  agents_ok INT NOT NULL,
  agents_asked INT NOT NULL,
  -- Per agent: its weight in its group (accuracy × calibration multiplier for generalists, the multiplier for personas).
  weights JSON NOT NULL,
  outcome TINYINT NULL,
  brier DOUBLE NULL,
  log_loss DOUBLE NULL,
  hit TINYINT NULL,
  scored_at BIGINT NULL,
  UNIQUE KEY uq_ai_consensus_cycle (cycle_id),
  KEY ix_ai_consensus_symbol (symbol, made_at)
) ENGINE=InnoDB;

-- Calls and tokens per UTC day (wall): reserved before each request, so concurrent actors and restarts share it.
CREATE TABLE ai_budget (
  day BIGINT NOT NULL PRIMARY KEY,
  calls INT NOT NULL,
  tokens BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;
