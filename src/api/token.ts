// The HTTP API's bearer token: from BOSUN_API_TOKEN, or (paper only) generated and written to `ops.api.tokenFile`
// (mode 0600). Guarantees the API never binds beyond loopback without a token of at least 32 characters (a config
// error, exit 78), the token is compared in constant time, and only its short id (never the token) is shown.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { Config } from '../config/schema.js';
import { readSecrets } from '../config/secrets.js';
import { ConfigError } from '../errors.js';
import { fromRoot } from '../paths.js';

export const MIN_REMOTE_TOKEN = 32;

/** 127.0.0.0/8, ::1 and `localhost`. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export interface ApiToken {
  token: string;
  /** Short, non-secret id of the token (first 8 hex of its sha256): who acted, in `operator_actions`. */
  id: string;
  /** Where a generated token was written (paper without BOSUN_API_TOKEN), else null. */
  file: string | null;
}

export const tokenId = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 8);

/** Checked before anything starts: beyond loopback needs BOSUN_API_TOKEN of at least 32 characters (exit 78 otherwise). */
export function checkApiConfig(config: Config, env: NodeJS.ProcessEnv): void {
  const api = config.ops.api;
  if (!api.enabled || isLoopback(api.host)) return;
  const token = readSecrets(env).apiToken;
  if (!token || token.length < MIN_REMOTE_TOKEN) {
    throw new ConfigError(
      `ops.api.host is ${api.host}, beyond loopback: refusing to listen there without a strong token — fix: set BOSUN_API_TOKEN in the environment to at least ${MIN_REMOTE_TOKEN} random characters (e.g. \`openssl rand -hex 32\`), or set $.ops.api.host to 127.0.0.1`,
    );
  }
}

/**
 * The token in force: BOSUN_API_TOKEN; in paper mode without one, a generated token written (0600) for the operator to
 * read; in testnet and mainnet without one, null (the API stays off and status says why).
 */
export function resolveApiToken(config: Config, env: NodeJS.ProcessEnv): ApiToken | null {
  const given = readSecrets(env).apiToken;
  if (given) return { token: given, id: tokenId(given), file: null };
  if (config.mode !== 'paper') return null;
  const token = randomBytes(24).toString('base64url');
  const file = isAbsolute(config.ops.api.tokenFile) ? config.ops.api.tokenFile : fromRoot(config.ops.api.tokenFile);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, id: tokenId(token), file };
}

/** Constant-time comparison (both sides hashed to the same length first). */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <token>` → the token, else null. */
export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}
