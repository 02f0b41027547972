import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger, scrub, secretValues } from '../../src/log/logger.js';

test('fields named like secrets are censored; known secret values are scrubbed anywhere in the line', () => {
  const lines: string[] = [];
  process.env.BOSUN_API_SECRET = 'sEcReT-value-123456';
  const log = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(s) } });
  log.info({ apiKey: 'AKIA-should-not-appear', nested: { token: 'tok-should-not-appear' }, url: 'mariadb://bosun:hunter22@db:3306/x' }, 'connecting with sEcReT-value-123456');
  delete process.env.BOSUN_API_SECRET;
  const out = lines.join('');
  assert.not.match(out, 'AKIA-should-not-appear');
  assert.not.match(out, 'tok-should-not-appear');
  assert.not.match(out, 'sEcReT-value-123456');
  assert.not.match(out, 'hunter22');
  assert.match(out, '[REDACTED]');
  assert.match(out, 'connecting with');
});

test('secretValues reads the env secrets and the DB URL password; scrub leaves ordinary text alone', () => {
  const v = secretValues({ BOSUN_API_KEY: 'abcdefgh', BOSUN_DB_URL: 'mariadb://u:pw123456@h/db', BOSUN_TELEGRAM_TOKEN: 'x' });
  assert.equal(v.sort(), ['abcdefgh', 'pw123456']);
  assert.is(scrub('nothing here', v), 'nothing here');
});

test.run();
