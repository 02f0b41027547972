// The analytics piscina pool as seen from the actor: warm-up from packed candle windows, model loading and
// inference with a deadline. Guarantees every call settles (result, error or timeout), and candle windows
// cross threads as transferred Float64Arrays.
import { Piscina } from 'piscina';
import type { Candle } from '../protocol/index.js';
import type { EngineParams } from './engine.js';
import type { ModelInfo } from './ml/model-info.js';
import { packCandles } from './pack.js';
import type { WarmupResult } from './pool-worker.js';

export class AnalyticsPool {
  readonly pool: Piscina;

  constructor(threads: number) {
    this.pool = new Piscina({
      filename: new URL('./pool-worker.js', import.meta.url).href,
      // No thread kept idle: without a model the pool only warms up at start, and a thread is an isolate (~20 MB resident).
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  warmup(symbol: string, params: EngineParams, candles: Candle[]): Promise<WarmupResult> {
    const packed = packCandles(candles);
    return this.pool.run({ symbol, params, packed }, { name: 'warmup', transferList: [packed.buffer as ArrayBuffer] });
  }

  loadModel(path: string): Promise<ModelInfo> {
    return this.pool.run({ path }, { name: 'loadModel' });
  }

  async infer(path: string, values: number[], timeoutMs: number): Promise<number> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      return await this.pool.run({ path, values }, { name: 'infer', signal: ac.signal });
    } catch (err) {
      if (ac.signal.aborted) throw new Error(`inference took longer than ${timeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
