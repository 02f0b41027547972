-- The operator's API and dashboard: each backtest run's full result (equity and drawdown series included), so the
-- dashboard renders the same HTML report `bosun backtest --html` writes, from the database alone.

CREATE TABLE backtest_results (
  run_id BIGINT NOT NULL PRIMARY KEY,
  -- The `--json` document (`resultJson`): its sha256 is backtest_runs.result_sha256.
  result LONGTEXT NOT NULL
) ENGINE=InnoDB;
