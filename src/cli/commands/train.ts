// `bosun train`: features from stored candles (the analytics features, no look-ahead), a logistic regression or
// boosted trees trained in TypeScript, exported to ONNX by our own encoder. Guarantees the file is written only after
// onnxruntime-node reproduced the TypeScript model's p_up on every training row to 1e-6 and analytics can load it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { engineParams } from '../../analytics/params.js';
import { configFor, loadData, symbolFor, UsageError, withDb, type DataFlags } from '../../backtest/cli-support.js';
import { BosunError } from '../../errors.js';
import { progressBar } from '../progress.js';
import type { CliContext } from '../shared.js';

type Opts = DataFlags & { out: string; model?: string; shuffleLabels?: string; name?: string };

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('train')
    .description('train the ML signal\'s model on stored candles and export it to ONNX (checked against onnxruntime)')
    .requiredOption('-o, --out <file>', 'ONNX file to write (set analytics.ml.model to it)')
    .option('--data <file>', 'candle CSV instead of the candles table')
    .option('--from <time>', 'first candle (ISO 8601 or epoch ms)')
    .option('--to <time>', 'end, exclusive')
    .option('-s, --symbol <symbol>', 'symbol (default: the config\'s first)')
    .option('-c, --config <file>', 'config file (features, horizon and model settings in backtest.train)')
    .option('--model <kind>', 'logistic or gbdt (default: backtest.train.model)')
    .option('--name <name>', 'model name in its metadata (default: the file name)')
    .option('--shuffle-labels <seed>', 'placebo: train on labels shuffled with this seed (a model that must learn nothing)')
    .action(async (o: Opts) => {
      const [{ loadModel }, { buildDataset, shuffleLabels }, { modelScores }, { checkParity, modelToOnnx }, { trainModel }] = await Promise.all([
        import('../../analytics/pool-worker.js'), import('../../train/dataset.js'), import('../../train/evaluate.js'), import('../../train/onnx.js'), import('../../train/train.js'),
      ]);
      const { config } = configFor(o);
      const symbol = symbolFor(config, o);
      const kind = o.model ?? config.backtest.train.model;
      if (kind !== 'logistic' && kind !== 'gbdt') throw new UsageError(`--model ${kind}: use logistic or gbdt`);
      const tc = { ...config.backtest.train, model: kind as 'logistic' | 'gbdt' };
      const data = await withDb(config, (pool) => loadData(o, config, symbol, pool));
      const all = [...data.warmup, ...data.candles];
      const features = progressBar('features', 'candles', all.length);
      let ds = buildDataset(all, engineParams(config.analytics), tc, (n, total) => features.update(n, total));
      features.stop();
      if (ds.ts.length < 50) throw new BosunError(`only ${ds.ts.length} training rows from ${data.source}: give more candles (the features need ${config.analytics.warmupCandles} to warm up)`);
      if (o.shuffleLabels !== undefined) ds = shuffleLabels(ds, Number(o.shuffleLabels));
      const fit = progressBar(`training ${kind}`, kind === 'gbdt' ? 'trees' : 'iterations', 0);
      const model = trainModel(ds, tc, (n, total) => fit.update(n, total));
      fit.stop();
      const name = o.name ?? basename(o.out).replace(/\.onnx$/, '');
      const bytes = modelToOnnx(model, {
        'bosun.name': name, 'bosun.horizon_min': String(tc.horizonMin),
        'bosun.trained_on': `${data.source} sha256 ${data.sha256} ${new Date(ds.ts[0]!).toISOString()}..${new Date(ds.labelTs.at(-1)!).toISOString()}`,
        ...(o.shuffleLabels !== undefined ? { 'bosun.shuffled_labels': o.shuffleLabels } : {}),
      });
      const parity = await checkParity(model, bytes, ds.x);
      if (!parity.ok) throw new BosunError(`onnxruntime disagrees with the TypeScript model by ${parity.maxAbsDiff} (> ${parity.tolerance}) on ${parity.rows} rows; nothing written`);
      const tmp = join(dirname(o.out), `.${basename(o.out)}.tmp`);
      writeFileSync(tmp, bytes);
      try {
        const info = await loadModel({ path: tmp });
        if (info.features.join(',') !== model.features.join(',')) throw new BosunError('the written model declares other features than it was trained on');
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
      renameSync(tmp, o.out);
      const s = modelScores(model, ds.x, ds.y);
      process.stdout.write(
        `${kind} model on ${ds.ts.length} rows (${ds.features.length} features, label: close ${tc.horizonMin} min later is higher; up share ${(s.baseRate * 100).toFixed(1)} %)${o.shuffleLabels !== undefined ? ' — SHUFFLED LABELS' : ''}\n` +
        `in-sample accuracy ${(s.accuracy * 100).toFixed(2)} %, log-loss ${s.logLoss.toFixed(4)} (in sample: see bosun walkforward for out-of-sample)\n` +
        `onnxruntime parity: max |Δp_up| ${parity.maxAbsDiff.toExponential(2)} ≤ ${parity.tolerance} on ${parity.rows} rows\n` +
        `wrote ${o.out} (${bytes.length} bytes)\n`,
      );
    });
}
