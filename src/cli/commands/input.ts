// `bosun input sentiment|etf-flow|liquidations`: manual inputs (seed 003), validated, stored with history.
// Guarantees a rejected input writes nothing (the previous value stays in force) and the error names each
// bad field and why; analytics picks an accepted one up at its next manual-input read.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { z } from 'zod';
import { asOfMs, describeIssues, SCHEMAS, type ManualKind } from '../../analytics/manual-inputs.js';
import { loadConfig } from '../../config/load.js';
import { InputRejectedError } from '../../errors.js';
import { prepareDatabase } from '../../store/migrate.js';
import { createPool, safeDbUrl } from '../../store/pool.js';
import { insertManualInput } from '../../store/repos/manual-inputs.js';
import { configOf, type CliContext } from '../shared.js';

const KIND_MAX_AGE = { sentiment: 'sentiment', etf_flow: 'etfFlow', liquidations: 'liquidations' } as const;

function validate<K extends ManualKind>(kind: K, what: string, raw: unknown): z.infer<(typeof SCHEMAS)[K]> {
  const r = SCHEMAS[kind].safeParse(raw);
  if (!r.success) {
    throw new InputRejectedError(`bosun input: ${what} rejected, nothing was written (the previous value stays in force):\n${describeIssues(r.error).map((l) => `  ${l}`).join('\n')}`);
  }
  return r.data as z.infer<(typeof SCHEMAS)[K]>;
}

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

async function store(configFile: string | undefined, kind: ManualKind, asOf: number, payload: { source?: string; comment?: string }, body: unknown): Promise<string> {
  const { config } = loadConfig(configOf(configFile));
  await prepareDatabase(config.db.url, config.mode, config.db.connectTimeoutMs);
  const pool = createPool({ url: config.db.url, connectTimeoutMs: config.db.connectTimeoutMs, poolSize: 1 });
  try {
    const now = Date.now();
    const id = await insertManualInput(pool, { kind, asOf, receivedAt: now, payload: body, source: payload.source ?? null, comment: payload.comment ?? null });
    const maxAge = config.analytics.manual.maxAgeSec[KIND_MAX_AGE[kind]];
    const until = new Date(asOf + maxAge * 1000).toISOString();
    return `stored ${kind} #${id} in ${safeDbUrl(config.db.url)} (as of ${new Date(asOf).toISOString()}; counts until ${until}${asOf + maxAge * 1000 < now ? ' — already older than its max age, it will not count' : ''})\n`;
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
      const data = validate('sentiment', '--score/--comment', { score: Number.isNaN(score) ? o.score : score, comment: o.comment });
      process.stdout.write(await store(o.config, 'sentiment', Date.now(), { comment: data.comment }, data));
    });
  input
    .command('etf-flow <file>')
    .description('record ETF flows from a JSON file: { asOf, asset?, totalNetFlowUsd, funds?: [{ ticker, netFlowUsd }], source?, comment? }')
    .option('-c, --config <file>', 'config file')
    .action(async (file: string, o: { config?: string }) => {
      const data = validate('etf_flow', file, readJson(file));
      process.stdout.write(await store(o.config, 'etf_flow', asOfMs(data.asOf)!, data, data));
    });
  input
    .command('liquidations <file>')
    .description('record a liquidation map from a JSON file: { asOf, symbol?, referencePrice?, clusters: [{ price, side: long|short, notionalUsd }], source?, comment? }')
    .option('-c, --config <file>', 'config file')
    .action(async (file: string, o: { config?: string }) => {
      const data = validate('liquidations', file, readJson(file));
      process.stdout.write(await store(o.config, 'liquidations', asOfMs(data.asOf)!, data, data));
    });
}
