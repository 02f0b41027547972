// MariaDB connection pools with the project's type rules, and a clear error when the server is down.
// Guarantees DECIMAL columns come back as exact strings and BIGINTs as numbers only when safe.
import * as mariadb from 'mariadb';
import { DbUnavailableError } from '../errors.js';

export type Pool = mariadb.Pool;
export type Conn = mariadb.PoolConnection | mariadb.Connection;

export interface DbTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parseDbUrl(url: string): DbTarget {
  const u = new URL(url);
  if (u.protocol !== 'mariadb:') throw new Error(`db url must start with mariadb:// (got ${u.protocol})`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, ''),
  };
}

/** The URL with its password hidden, for messages and logs. */
export const safeDbUrl = (url: string): string => url.replace(/(mariadb:\/\/[^:@/]+:)[^@]+@/, '$1***@');

const typeRules = {
  decimalAsNumber: false,
  bigIntAsNumber: true,
  insertIdAsNumber: true,
  checkNumberRange: true,
  dateStrings: true,
  timezone: 'Z',
} as const;

export interface PoolOptions {
  url: string;
  connectTimeoutMs: number;
  poolSize: number;
  /** Connect without selecting the database (to create it). */
  noDatabase?: boolean;
  multipleStatements?: boolean;
}

export function createPool(opts: PoolOptions): Pool {
  const t = parseDbUrl(opts.url);
  return mariadb.createPool({
    host: t.host, port: t.port, user: t.user, password: t.password,
    ...(opts.noDatabase ? {} : { database: t.database }),
    connectionLimit: opts.poolSize,
    connectTimeout: opts.connectTimeoutMs,
    acquireTimeout: opts.connectTimeoutMs + 1000,
    initializationTimeout: opts.connectTimeoutMs,
    multipleStatements: opts.multipleStatements ?? false,
    ...typeRules,
  });
}

export async function connect(opts: PoolOptions): Promise<mariadb.Connection> {
  const t = parseDbUrl(opts.url);
  try {
    return await mariadb.createConnection({
      host: t.host, port: t.port, user: t.user, password: t.password,
      ...(opts.noDatabase ? {} : { database: t.database }),
      connectTimeout: opts.connectTimeoutMs,
      multipleStatements: opts.multipleStatements ?? false,
      ...typeRules,
    });
  } catch (err) {
    throw unreachable(opts.url, err as Error);
  }
}

/** One paragraph: what was tried, what failed, how to fix it. */
export function unreachable(url: string, err: Error): DbUnavailableError {
  const t = parseDbUrl(url);
  const code = (err as { code?: string }).code ?? 'error';
  return new DbUnavailableError(
    `bosun cannot reach MariaDB at ${t.host}:${t.port} as user "${t.user}" (database "${t.database}", from ${safeDbUrl(url)}): ${code}: ${err.message}. ` +
      `Check that the server is running (e.g. \`systemctl status mariadb\`, or start it with \`start-stop-daemon --start --background --exec /usr/sbin/mariadbd\`), ` +
      `that it listens on ${t.host}:${t.port}, and that the user can log in (\`mariadb -h${t.host} -P${t.port} -u${t.user} -p\`). ` +
      `Set the URL in the config's db.url or in BOSUN_DB_URL.`,
    { cause: err },
  );
}
