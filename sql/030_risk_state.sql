-- Risk state of the decision engine: circuit breakers (fired, in force, cleared) and small keyed values.
-- A breaker is in force while cleared_at IS NULL and until_ts is NULL or in the future; clearing is an update, never a delete.

CREATE TABLE risk_breakers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(40) NOT NULL,
  fired_at BIGINT NOT NULL,
  -- End of the breaker's period (next UTC day / ISO week); NULL: until an operator resumes.
  until_ts BIGINT NULL,
  reason TEXT NOT NULL,
  flatten TINYINT(1) NOT NULL DEFAULT 0,
  data JSON NULL,
  cleared_at BIGINT NULL,
  -- 'period_end' or 'operator'.
  cleared_by VARCHAR(16) NULL,
  -- At most one uncleared breaker per code, enforced by the database: firing twice is a no-op.
  active_code VARCHAR(40) AS (IF(cleared_at IS NULL, code, NULL)) PERSISTENT,
  UNIQUE KEY uq_active_breaker (active_code),
  KEY ix_breaker_fired (fired_at)
) ENGINE=InnoDB;

-- Keyed risk values: the account reference equity of the emergency stop, breaker baselines after a resume.
CREATE TABLE risk_state (
  k VARCHAR(64) NOT NULL PRIMARY KEY,
  v JSON NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;
