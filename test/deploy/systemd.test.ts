// The shipped unit file: systemd-analyze verify accepts it, and it carries what the daemon relies on
// (Type=notify with a watchdog, restart policy, secrets from an EnvironmentFile, hardening).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load.js';
import { fromRoot } from '../../src/paths.js';
import { tempDir } from '../helpers/config.js';

const UNIT = fromRoot('deploy', 'bosun.service');
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });

if (analyze.error) {
  console.log('skip: systemd-analyze is not installed (apt-get install systemd; .ci/run does it)');
  test.skip('systemd-analyze verify deploy/bosun.service', () => undefined);
} else {
  test('systemd-analyze verify deploy/bosun.service passes without a warning', () => {
    // verify checks that ExecStart's binary exists: where node is not /usr/bin/node, check a copy pointing at this node.
    let unit = UNIT;
    if (!existsSync('/usr/bin/node')) {
      unit = `${tempDir('unit')}/bosun.service`;
      writeFileSync(unit, readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`));
      console.log(`note: /usr/bin/node is absent; verifying a copy with ExecStart=${process.execPath}`);
    }
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stderr.trim(), '', r.stderr);
  });
}

test('the unit runs `bosun run` as Type=notify with a watchdog, restarts always, reads secrets from a file, and is hardened', () => {
  const lines = readFileSync(UNIT, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const has = (kv: string) => assert.ok(lines.includes(kv), `missing ${kv}`);
  for (const kv of ['Type=notify', 'NotifyAccess=main', 'Restart=always', 'RestartSec=5', 'WatchdogSec=30', 'EnvironmentFile=/etc/bosun/bosun.env', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'ReadWritePaths=/opt/bosun/run']) has(kv);
  assert.ok(lines.some((l) => /^ExecStart=\/usr\/bin\/node \S+\/bin\/bosun\.mjs run --config /.test(l)));
  assert.not.ok(lines.some((l) => l.startsWith('MemoryDenyWriteExecute=yes')), 'V8 needs writable+executable memory');
});

test('the example config a service uses is valid and keeps its socket in the RuntimeDirectory', () => {
  const dir = tempDir('unit');
  const text = readFileSync(fromRoot('deploy', 'config.example.json'), 'utf8').replace('/opt/bosun/config/testnet.json', fromRoot('config', 'testnet.json'));
  const file = `${dir}/config.json`;
  writeFileSync(file, text);
  const { config } = loadConfig(file, {});
  assert.is(config.control.socketPath, '/run/bosun/bosun.sock');
  assert.is(config.mode, 'testnet');
});

test.run();
