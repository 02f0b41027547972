// The API token: paper generates one into a 0600 file, testnet/mainnet without BOSUN_API_TOKEN keep the API off, a
// remote bind needs ≥ 32 characters, comparison is by value only, and the id reveals nothing usable.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bearer, checkApiConfig, resolveApiToken, tokenId, tokenMatches } from '../../src/api/token.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir, writeConfig } from '../helpers/config.js';

const dir = tempDir('api-token');
const cfg = (base: string, api: Record<string, unknown> = {}) => loadConfig(writeConfig(dir, { ops: { api: { tokenFile: join(dir, `${base}-token`), ...api } } }, base), {}).config;

test('paper without BOSUN_API_TOKEN: a generated token in a 0600 file; with it: that token; testnet without: none', () => {
  const t = resolveApiToken(cfg('paper'), {})!;
  assert.ok(t.token.length >= 32, 'generated tokens are strong');
  assert.is(t.file, join(dir, 'paper-token'));
  assert.is(readFileSync(t.file!, 'utf8').trim(), t.token);
  assert.is(statSync(t.file!).mode & 0o777, 0o600);
  assert.is(t.id, tokenId(t.token));
  assert.not.match(t.id, t.token.slice(0, 8));
  assert.equal(resolveApiToken(cfg('paper'), { BOSUN_API_TOKEN: 'given-token' }), { token: 'given-token', id: tokenId('given-token'), file: null });
  assert.is(resolveApiToken(cfg('testnet'), {}), null);
});

test('beyond loopback needs a token of at least 32 characters; loopback needs none', () => {
  checkApiConfig(cfg('paper'), {});
  checkApiConfig(cfg('paper', { host: '::1' }), {});
  const remote = cfg('paper', { host: '0.0.0.0' });
  assert.throws(() => checkApiConfig(remote, {}), (e: Error) => e instanceof ConfigError && /beyond loopback/.test(e.message));
  assert.throws(() => checkApiConfig(remote, { BOSUN_API_TOKEN: 'x'.repeat(31) }), (e: Error) => e instanceof ConfigError);
  checkApiConfig(remote, { BOSUN_API_TOKEN: 'x'.repeat(32) });
  checkApiConfig(cfg('paper', { host: '0.0.0.0', enabled: false }), {});
});

test('bearer parsing and comparison', () => {
  assert.is(bearer('Bearer abc'), 'abc');
  assert.is(bearer('bearer  abc '), 'abc');
  assert.is(bearer('Basic abc'), null);
  assert.is(bearer(undefined), null);
  assert.ok(tokenMatches('abc', 'abc'));
  assert.not.ok(tokenMatches('abc', 'abcd'));
  assert.not.ok(tokenMatches('abc', null));
  assert.not.ok(tokenMatches('abc', ''));
});

test.run();
