// pino JSON logging to stdout (pretty in a terminal), one child logger per actor, secrets redacted twice over,
// and WARN-and-above copied into the `logs` table. Guarantees: fields named like secrets are censored, any known
// secret value is scrubbed from the line before it reaches any destination, and the DB copy never blocks logging.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { DbLogSink } from './db-sink.js';

export type { Logger };

const SECRET_KEYS = ['apiKey', 'apiSecret', 'secret', 'token', 'password', 'telegramToken', 'signature', 'listenKey'];
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Secret values taken from the environment; they are replaced wherever they appear in a log line. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = ['BOSUN_API_KEY', 'BOSUN_API_SECRET', 'BOSUN_TELEGRAM_TOKEN', 'BOSUN_API_TOKEN', 'BOSUN_AI_API_KEY'];
  const values = names.map((n) => env[n]).filter((v): v is string => !!v && v.length >= 6);
  const url = env.BOSUN_DB_URL?.match(/^mariadb:\/\/[^:@/]+:([^@]+)@/);
  if (url?.[1]) values.push(url[1]);
  return values;
}

export function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  // Passwords in connection URLs, whatever their source.
  return out.replace(/(mariadb:\/\/[^:@/\s"]+:)[^@\s"]+@/g, '$1[REDACTED]@');
}

/** Human-readable output when stdout is a terminal (workers inherit the choice through BOSUN_LOG_FORMAT). */
export const prettyLogs = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.BOSUN_LOG_FORMAT ? env.BOSUN_LOG_FORMAT === 'pretty' : !!process.stdout.isTTY;

export interface LoggerOptions {
  level: string;
  name?: string;
  /** Write synchronously (tests, short-lived CLI commands). */
  sync?: boolean;
  destination?: NodeJS.WritableStream | { write(s: string): void };
  /** Copy lines at `level` and above into the `logs` table of this database. */
  db?: { url: string; connectTimeoutMs: number; level: 'warn' | 'error' | 'fatal' };
}

const sinks = new WeakMap<Logger, DbLogSink>();

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = secretValues();
  const dest =
    opts.destination ??
    (prettyLogs()
      ? pretty({ destination: 1, sync: opts.sync ?? false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ dest: 1, sync: opts.sync ?? false }));
  const sink = opts.db ? new DbLogSink({ url: opts.db.url, connectTimeoutMs: opts.db.connectTimeoutMs, minLevel: pino.levels.values[opts.db.level]! }) : null;
  const stream = sink
    ? pino.multistream([
        { level: opts.level as pino.Level, stream: dest as pino.DestinationStream },
        { level: opts.db!.level, stream: sink },
      ])
    : (dest as pino.DestinationStream);
  const log = pino(
    {
      level: opts.level,
      name: opts.name ?? 'bosun',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      hooks: { streamWrite: (s) => scrub(s, secrets) },
    },
    stream,
  );
  if (sink) sinks.set(log, sink);
  return log;
}

/** The logs-table copy of a logger (null when it has none): for status and for closing at exit. */
export const dbSinkOf = (log: Logger): DbLogSink | null => sinks.get(log) ?? null;

/** Flushes stdout and writes the queued DB lines (bounded), then closes the DB connection. */
export async function closeLogger(log: Logger, timeoutMs = 1000): Promise<void> {
  log.flush?.();
  await sinks.get(log)?.close(timeoutMs);
}
