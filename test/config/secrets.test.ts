// Secrets come only from the environment: a config file carrying one is refused, without echoing its value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { tempDir, writeConfig } from '../helpers/config.js';
import { cliAsync } from '../helpers/daemon.js';

const dir = tempDir('secrets');
const VALUE = 'AKIA-in-a-file-should-never-be-echoed';

const refuse = (overrides: Record<string, unknown>): string => {
  try {
    loadConfig(writeConfig(dir, overrides), {});
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.is((e as ConfigError).exitCode, ExitCode.config);
    assert.not.match((e as Error).message, VALUE);
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
};

test('API keys, secrets and tokens in a config file are refused and pointed at the environment', () => {
  for (const [path, o] of [
    ['$.exchange.apiKey', { exchange: { apiKey: VALUE } }],
    ['$.exchange.apiSecret', { exchange: { apiSecret: VALUE } }],
    ['$.notifier.telegram.token', { notifier: { telegram: { token: VALUE } } }],
    ['$.db.password', { db: { password: VALUE } }],
    ['$.ai.apiKey', { ai: { apiKey: VALUE } }],
  ] as const) {
    const msg = refuse(o);
    assert.match(msg, `${path}: a secret cannot live in a config file`);
    assert.match(msg, 'BOSUN_API_KEY, BOSUN_API_SECRET, BOSUN_TELEGRAM_TOKEN, BOSUN_DB_URL, BOSUN_API_TOKEN, BOSUN_AI_API_KEY');
  }
});

test('a database password in a file is refused; the same URL from BOSUN_DB_URL is accepted', () => {
  const msg = refuse({ db: { url: `mariadb://bosun:${VALUE}@127.0.0.1:3306/bosun_paper` } });
  assert.match(msg, '$.db.url carries a password');
  const f = writeConfig(dir, {});
  const { config } = loadConfig(f, { BOSUN_DB_URL: 'mariadb://bosun:pw@127.0.0.1:3306/bosun_paper' });
  assert.is(config.db.url, 'mariadb://bosun:pw@127.0.0.1:3306/bosun_paper');
});

test('`bosun run` refuses such a file with exit 78, naming the path and not the value', async () => {
  const file = writeConfig(dir, { exchange: { apiSecret: VALUE } });
  const r = await cliAsync(['run', '--config', file]);
  assert.is(r.code, ExitCode.config);
  assert.match(r.stderr, '$.exchange.apiSecret: a secret cannot live in a config file');
  assert.not.match(r.stderr + r.stdout, VALUE);
});

test.run();
