// `bosun input sentiment|etf-flow|liquidations`: manual inputs (seed 003), validated, stored with history.
// Guarantees a rejected input writes nothing (the previous value stays in force) and the error names each
// bad field and why; analytics picks an accepted one up at its next manual-input read. Same path as the HTTP API.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ManualKind } from '../../analytics/manual-inputs.js';
import { loadConfig } from '../../config/load.js';
import { InputRejectedError } from '../../errors.js';
import { recordManualInput, validateManualInput } from '../../ops/manual-input.js';
import { prepareDatabase } from '../../store/migrate.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { configOf, type CliContext } from '../shared.js';
import { cliIdentity } from './control.js';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputRejectedError(`bosun input: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was written`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputRejectedError(`bosun input: ${file} is not valid JSON (${(err as Error).message}); nothing was written`);
  }
}

/** Validates and stores through the one path the HTTP API takes too (recorded in operator_actions as `cli:user@host`). */
async function store(configFile: string | undefined, kind: ManualKind, what: string, body: unknown): Promise<string> {
  const { config } = loadConfig(configOf(configFile));
  validateManualInput(kind, body, `bosun input: ${what}`);
  await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
  try {
    const now = Date.now();
    const r = await recordManualInput(pool, config, kind, body, { by: cliIdentity(), source: 'cli' }, now, now, `bosun input: ${what}`);
    return `stored ${kind} #${r.id} in ${safeDbUrl(config.db.url)} (as of ${new Date(r.asOf).toISOString()}; counts until ${new Date(r.countsUntil).toISOString()}${r.stale ? ' — already older than its max age, it will not count' : ''})\n`;
  } finally {
    await pool.end();
  }
}

export function register(program: Command, _ctx: CliContext): void {
  const input = program.command('input').description('manual inputs for analytics: sentiment, ETF flows, liquidation map');
  input
    .command('sentiment')
    .description('record the operator\'s market sentiment, -2 (very bearish) … 2 (very bullish)')
    .requiredOption('-s, --score <n>', 'score between -2 and 2')
    .option('-m, --comment <text>', 'why', '')
    .option('-c, --config <file>', 'config file')
    .action(async (o: { score: string; comment: string; config?: string }) => {
      const score = /^\s*-?\d+(\.\d+)?\s*$/.test(o.score) ? Number(o.score) : Number.NaN;
      process.stdout.write(await store(o.config, 'sentiment', '--score/--comment', { score: Number.isNaN(score) ? o.score : score, comment: o.comment }));
    });
  input
    .command('etf-flow <file>')
    .description('record ETF flows from a JSON file: { asOf, asset?, totalNetFlowUsd, funds?: [{ ticker, netFlowUsd }], source?, comment? }')
    .option('-c, --config <file>', 'config file')
    .action(async (file: string, o: { config?: string }) => {
      process.stdout.write(await store(o.config, 'etf_flow', file, readJson(file)));
    });
  input
    .command('liquidations <file>')
    .description('record a liquidation map from a JSON file: { asOf, symbol?, referencePrice?, clusters: [{ price, side: long|short, notionalUsd }], source?, comment? }')
    .option('-c, --config <file>', 'config file')
    .action(async (file: string, o: { config?: string }) => {
      process.stdout.write(await store(o.config, 'liquidations', file, readJson(file)));
    });
}
