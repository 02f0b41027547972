// ccxt's Binance USD-M class and its error classes, loaded on their own: `import 'ccxt'` loads every exchange ccxt
// supports (about 100 MB in each worker thread that talks to the exchange); these two files cost about 34 MB.
// Guarantees the very classes ccxt's index exports (same modules), so `instanceof` holds for what the client throws.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Ccxt from 'ccxt';

/** The package's root: ccxt's exports map has only "." (its CommonJS entry is dist/ccxt.cjs). */
const root = join(dirname(createRequire(import.meta.url).resolve('ccxt')), '..');
const load = async (rel: string): Promise<unknown> => import(pathToFileURL(join(root, 'js', 'src', rel)).href);

const usdm = (await load('binanceusdm.js')) as { default: typeof Ccxt.binanceusdm };
const errors = (await load('base/errors.js')) as Pick<typeof Ccxt, 'BaseError' | 'NetworkError' | 'DDoSProtection' | 'RateLimitExceeded' | 'RequestTimeout' | 'InvalidNonce'>;

export const binanceusdm = usdm.default;
export const { BaseError, NetworkError, DDoSProtection, RateLimitExceeded, RequestTimeout, InvalidNonce } = errors;
