// `bosun doctor`: config valid, DB reachable and migrated, keys present for live modes, clock offset within limit,
// exchange reachable. Guarantees one line per check, never a secret value, and that a failure is never skipped quietly.
import { existsSync } from 'node:fs';
import { loadConfig, readSecrets } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { probe } from '../control/socket.js';
import { fromRoot } from '../paths.js';
import { readMigrations } from '../store/migrate.js';
import { connect, safeDbUrl } from '../store/pool.js';
import { loadSupervisorSpec } from '../supervisor/spec.js';
import { probeExchange, type ProbeResult } from './exchange-probe.js';
import { telegramState } from '../daemon/status.js';

export type CheckStatus = 'ok' | 'FAIL' | 'warn' | 'skip';
export interface CheckLine {
  status: CheckStatus;
  name: string;
  detail: string;
}

export interface DoctorOptions {
  configFile: string;
  supervisorFile: string;
  env: NodeJS.ProcessEnv;
}

export async function runDoctor(o: DoctorOptions, emit: (l: CheckLine) => void): Promise<boolean> {
  let failed = false;
  const line = (status: CheckStatus, name: string, detail: string) => {
    if (status === 'FAIL') failed = true;
    emit({ status, name, detail });
  };
  let config: Config;
  try {
    config = loadConfig(o.configFile, o.env).config;
    loadSupervisorSpec(o.supervisorFile);
    line('ok', 'config', `${o.configFile}: valid (${config.mode} mode, ${config.exchange.environment} on ${config.exchange.venue}, ${config.symbols.join(', ')})`);
  } catch (err) {
    line('FAIL', 'config', (err as Error).message.replace(/\n\s*/g, ' | '));
    for (const n of ['database', 'migrations', 'keys', 'exchange', 'clock']) line('skip', n, 'needs a valid config');
    return false;
  }

  let conn: Awaited<ReturnType<typeof connect>> | null = null;
  try {
    conn = await connect({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
    line('ok', 'database', `reachable: ${safeDbUrl(config.db.url)}`);
  } catch (err) {
    const msg = (err as Error).message.split('. Check')[0]!;
    line('FAIL', 'database', /Unknown database|ER_BAD_DB_ERROR/.test(msg) ? `${msg} — run \`bosun migrate\` to create and migrate it` : msg);
  }
  if (conn) {
    try {
      const want = readMigrations();
      const rows = await conn.query<Array<{ version: number; checksum: string }>>('SELECT version, checksum FROM schema_migrations ORDER BY version');
      const applied = new Map(rows.map((r) => [r.version, r.checksum]));
      const missing = want.filter((m) => !applied.has(m.version)).map((m) => m.file);
      const edited = want.filter((m) => applied.has(m.version) && applied.get(m.version) !== m.checksum).map((m) => m.file);
      const mode = (await conn.query<Array<{ v: string }>>("SELECT v FROM meta WHERE k = 'mode'"))[0]?.v;
      if (edited.length) line('FAIL', 'migrations', `edited after being applied: ${edited.join(', ')}`);
      else if (missing.length) line('FAIL', 'migrations', `${missing.length} pending (${missing.join(', ')}): run \`bosun migrate\``);
      else if (mode !== undefined && mode !== config.mode) line('FAIL', 'migrations', `the database belongs to ${mode} mode, this config runs ${config.mode}`);
      else line('ok', 'migrations', `schema at ${Math.max(0, ...want.map((m) => m.version))}, mode ${mode ?? config.mode}`);
    } catch (err) {
      line('FAIL', 'migrations', `not migrated (${(err as Error).message.split('\n')[0]}): run \`bosun migrate\``);
    } finally {
      await conn.end().catch(() => undefined);
    }
  } else line('skip', 'migrations', 'needs the database');

  const s = readSecrets(o.env);
  if (config.mode === 'paper') line('ok', 'keys', 'not needed in paper mode');
  else {
    const missing = [!s.apiKey && 'BOSUN_API_KEY', !s.apiSecret && 'BOSUN_API_SECRET'].filter(Boolean);
    line(missing.length ? 'FAIL' : 'ok', 'keys', missing.length ? `${config.mode} needs ${missing.join(' and ')} in the environment (EnvironmentFile= under systemd)` : 'API key and secret present in the environment');
  }
  const tg = telegramState(config, o.env);
  line(tg.on ? 'ok' : 'warn', 'telegram', tg.text);

  let ex: ProbeResult;
  try {
    ex = await probeExchange(config);
  } catch (err) {
    ex = { reachable: false, clockOffsetMs: null, latencyMs: null, detail: (err as Error).message };
  }
  line(ex.reachable ? 'ok' : 'FAIL', 'exchange', `${ex.detail}${ex.latencyMs !== null ? ` (${ex.latencyMs} ms)` : ''}`);
  const limit = config.ops.maxClockOffsetMs;
  if (ex.clockOffsetMs === null) line('FAIL', 'clock', 'offset unknown: the exchange did not answer');
  else line(Math.abs(ex.clockOffsetMs) <= limit ? 'ok' : 'FAIL', 'clock', `offset ${ex.clockOffsetMs} ms (limit ${limit} ms, ops.maxClockOffsetMs)`);

  const sock = fromRoot(config.control.socketPath);
  line('ok', 'daemon', existsSync(sock) && (await probe(sock)) ? `running (control socket ${sock})` : `not running (control socket ${sock})`);
  return !failed;
}
