// Which mode a database belongs to, by its name and by the mode it has recorded (meta.mode), for `config check` and the
// start. Guarantees: a mainnet config pointed at a database named for another mode, or any config pointed at a database
// stamped for another mode, is refused naming both; reading the stamp changes nothing (no create, migrate or stamp).
import type { Config } from './schema.js';
import { parseDbUrl } from '../store/pool.js';

const MODE_WORDS: Record<string, 'paper' | 'testnet' | 'mainnet'> = { paper: 'paper', testnet: 'testnet', demo: 'testnet', mainnet: 'mainnet', live: 'mainnet' };

/** The modes a database name names (its words split on _ and -), e.g. bosun_paper → paper. */
export function modesNamed(database: string): Set<string> {
  return new Set(database.toLowerCase().split(/[_-]+/).flatMap((w) => (MODE_WORDS[w] ? [MODE_WORDS[w]!] : [])));
}

/** A mainnet config whose database is named for another mode: the refusal, else null. */
export function databaseNameProblem(config: Config): string | null {
  if (config.mode !== 'mainnet') return null;
  const { database } = parseDbUrl(config.db.url);
  const other = [...modesNamed(database)].filter((m) => m !== 'mainnet');
  if (!other.length) return null;
  return `db.url: database "${database}" is named for ${other.join(' and ')} mode, but this config runs mainnet — fix: point db.url (or BOSUN_DB_URL) at a mainnet database (e.g. bosun_mainnet); each mode keeps its own database`;
}

/** The refusal for a database stamped with another mode, else null. */
export function stampProblem(database: string, recorded: string | null, mode: string): string | null {
  if (recorded === null || recorded === mode) return null;
  return `database "${database}" belongs to ${recorded} mode, but this config runs ${mode} mode — fix: point db.url (or BOSUN_DB_URL) at a ${mode} database. Each mode keeps its own database so paper fills never mix with real ones.`;
}
