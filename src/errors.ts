// Named error classes and the process exit codes they map to.
// Guarantees one exit code per failure class, so systemd and scripts can tell them apart.
export const ExitCode = {
  ok: 0,
  failure: 1,
  notRunning: 2,
  usage: 64,
  /** Input data rejected (EX_DATAERR). */
  dataError: 65,
  dbUnavailable: 69,
  config: 78,
} as const;

export class BosunError extends Error {
  readonly exitCode: number = ExitCode.failure;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends BosunError {
  override readonly exitCode = ExitCode.config;
}

export class DbUnavailableError extends BosunError {
  override readonly exitCode = ExitCode.dbUnavailable;
}

export class ModeMismatchError extends BosunError {
  override readonly exitCode = ExitCode.config;
}

export class MigrationError extends BosunError {}

/** A manual input (file or flags) failed validation; nothing was written. */
export class InputRejectedError extends BosunError {
  override readonly exitCode = ExitCode.dataError;
}

export class InvariantError extends BosunError {}

/** Bad input data (e.g. a malformed CSV row): nothing was written. */
export class DataError extends BosunError {
  override readonly exitCode = ExitCode.dataError;
}
