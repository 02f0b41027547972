import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, readSecrets } from '../../src/config/load.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { fromRoot } from '../../src/paths.js';
import { tempDir, writeConfig } from '../helpers/config.js';

const dir = tempDir('config');

const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

test('the shipped configs are valid and inherit from default.json', () => {
  for (const mode of ['paper', 'testnet', 'mainnet']) {
    const { config, files } = loadConfig(fromRoot('config', `${mode}.json`), {});
    assert.is(config.mode, mode);
    assert.is(files.length, 2);
  }
});

test('a wrong type names the JSON path, the file it came from and the fix', () => {
  const f = writeConfig(dir, { risk: { leverage: 'five' } });
  const e = errorOf(() => loadConfig(f, {}));
  assert.match(e.message, `${f}: $.risk.leverage`);
  assert.match(e.message, 'fix: use a number');
  assert.is(e.exitCode, ExitCode.config);
});

test('an unknown key is rejected with its path, also when nested', () => {
  const e = errorOf(() => loadConfig(writeConfig(dir, { execution: { loopMS: 1000 } }), {}));
  assert.match(e.message, '$.execution.loopMS: unknown key');
  assert.match(e.message, 'remove it');
});

test('a value out of range says the bound', () => {
  const e = errorOf(() => loadConfig(writeConfig(dir, { risk: { riskPerTrade: 2 } }), {}));
  assert.match(e.message, '$.risk.riskPerTrade');
  assert.match(e.message, '≤ 1');
});

test('an enum mismatch lists the allowed values', () => {
  const e = errorOf(() => loadConfig(writeConfig(dir, { log: { level: 'loud' } }), {}));
  assert.match(e.message, '$.log.level');
  assert.match(e.message, '"info"');
});

test('cross-field rules: paper cannot trade binanceusdm, live modes cannot accelerate the clock', () => {
  assert.match(errorOf(() => loadConfig(writeConfig(dir, { exchange: { venue: 'binanceusdm' } }), {})).message, '$.exchange.venue');
  assert.match(errorOf(() => loadConfig(writeConfig(dir, { clock: { speed: 10 } }, 'testnet'), {})).message, '$.clock.speed');
  assert.match(errorOf(() => loadConfig(writeConfig(dir, { exchange: { environment: 'mainnet' } }, 'testnet'), {})).message, '$.exchange.environment');
});

test('invalid JSON and a missing file are clear errors', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ "mode": "paper", }');
  assert.match(errorOf(() => loadConfig(bad, {})).message, 'not valid JSON');
  assert.match(errorOf(() => loadConfig(join(dir, 'nope.json'), {})).message, 'cannot read');
});

test('environment overrides the database URL; secrets never enter the config', () => {
  const env = { BOSUN_DB_URL: 'mariadb://u:p4ssw0rd@db.example:3307/bosun_x', BOSUN_API_KEY: 'k'.repeat(20), BOSUN_TELEGRAM_TOKEN: 't'.repeat(20) };
  const { config } = loadConfig(fromRoot('config', 'paper.json'), env);
  assert.is(config.db.url, env.BOSUN_DB_URL);
  assert.not.match(JSON.stringify(config), 'kkkkkkkk');
  assert.equal(readSecrets(env), { apiKey: env.BOSUN_API_KEY, telegramToken: env.BOSUN_TELEGRAM_TOKEN });
});

test('a bad environment value is blamed on the environment', () => {
  const e = errorOf(() => loadConfig(fromRoot('config', 'paper.json'), { BOSUN_DB_URL: 'postgres://x/y' }));
  assert.match(e.message, 'environment: $.db.url');
});

test('testnet and mainnet differ in environment, risk limits, database and local endpoints (socket, metrics and API ports) only', () => {
  const t = loadConfig(fromRoot('config', 'testnet.json'), {}).config as unknown as Record<string, unknown>;
  const m = loadConfig(fromRoot('config', 'mainnet.json'), {}).config as unknown as Record<string, unknown>;
  const diff: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (typeof a === 'object' && a && typeof b === 'object' && b && !Array.isArray(a)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) diff.push(path);
  };
  walk(t, m, '$');
  for (const p of diff) assert.ok(/^\$\.(mode|exchange\.environment|db\.url|control\.socketPath|ops\.metrics\.port|ops\.api\.port|risk\.)/.test(p), `unexpected difference at ${p}`);
  assert.ok(diff.some((p) => p.startsWith('$.risk.')), 'mainnet has stricter risk limits');
});

test.run();
