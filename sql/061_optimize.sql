-- Parameter searches (`bosun optimize`): one row per run and one per trial. A trial row is written once
-- (PRIMARY KEY run_id, number): a trial retried on another worker after a kill is still counted once.
-- run_key is the sha256 of what determines the run (data, base config, space, seed, sampler, trials): an unfinished
-- run with the same key is resumed.

CREATE TABLE optimize_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_key CHAR(64) NOT NULL,
  strategy VARCHAR(32) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  objective VARCHAR(16) NOT NULL,
  sampler VARCHAR(16) NOT NULL,
  seed BIGINT NOT NULL,
  trials INT NOT NULL,
  base_config_hash CHAR(64) NOT NULL,
  data_source VARCHAR(255) NOT NULL,
  data_sha256 CHAR(64) NOT NULL,
  data_from BIGINT NOT NULL,
  data_to BIGINT NOT NULL,
  spec JSON NOT NULL,
  status VARCHAR(16) NOT NULL,
  best_trial INT NULL,
  -- config_hash (configIdentity) of the base config with the best trial's parameters: what `bosun promote` looks up.
  best_config_hash CHAR(64) NULL,
  best_value DOUBLE NULL,
  deflated_sharpe DOUBLE NULL,
  pbo DOUBLE NULL,
  report LONGTEXT NULL,
  created_at BIGINT NOT NULL,
  finished_at BIGINT NULL,
  KEY ix_optimize_key (run_key, id),
  KEY ix_optimize_best (best_config_hash, id)
) ENGINE=InnoDB;

CREATE TABLE optimize_trials (
  run_id BIGINT NOT NULL,
  number INT NOT NULL,
  state VARCHAR(16) NOT NULL,
  value DOUBLE NULL,
  first_window DOUBLE NULL,
  params JSON NOT NULL,
  duplicate_of INT NULL,
  error TEXT NULL,
  -- Hourly returns and closed trades of the trial (JSON), what the PBO, DSR and walk-forward OOS are computed from.
  series LONGTEXT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, number),
  CONSTRAINT fk_optimize_trial_run FOREIGN KEY (run_id) REFERENCES optimize_runs (id) ON DELETE CASCADE
) ENGINE=InnoDB;
