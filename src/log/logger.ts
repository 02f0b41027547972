// pino JSON logging to stdout, one child logger per actor, secrets redacted twice over.
// Guarantees: fields named like secrets are censored, and any known secret value is scrubbed from the line.
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = ['apiKey', 'apiSecret', 'secret', 'token', 'password', 'telegramToken', 'signature', 'listenKey'];
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Secret values taken from the environment; they are replaced wherever they appear in a log line. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = ['BOSUN_API_KEY', 'BOSUN_API_SECRET', 'BOSUN_TELEGRAM_TOKEN'];
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

export interface LoggerOptions {
  level: string;
  name?: string;
  /** Write synchronously (tests, short-lived CLI commands). */
  sync?: boolean;
  destination?: NodeJS.WritableStream | { write(s: string): void };
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = secretValues();
  const dest = opts.destination ?? pino.destination({ dest: 1, sync: opts.sync ?? false });
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'bosun',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.epochTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      hooks: { streamWrite: (s) => scrub(s, secrets) },
    },
    dest as pino.DestinationStream,
  );
}
