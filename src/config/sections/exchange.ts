// Schema of the exchange section: which venue and which environment the daemon trades on.
// Guarantees the environment matches the mode (paper→sim, testnet→demo|testnet, mainnet→mainnet).
import { z } from 'zod';

export const exchangeSchema = z.strictObject({
  venue: z.enum(['sim', 'binanceusdm']),
  environment: z.enum(['paper', 'demo', 'testnet', 'mainnet']),
  recvWindowMs: z.number().int().min(1000).max(60_000),
});
