// The secrets bosun reads: only from the environment, never into Config, logs or the DB. Kept apart from the config
// schema (zod) so a worker thread that needs a key does not load every config section's schema (about 6 MB per thread).
/** Secrets come only from the environment and never enter Config, logs or the DB. */
export interface Secrets {
  apiKey?: string;
  apiSecret?: string;
  telegramToken?: string;
  /** Bearer token of the HTTP API (`ops.api`). */
  apiToken?: string;
  /** The LLM endpoint's key (BOSUN_AI_API_KEY); a local server may need none. */
  aiApiKey?: string;
}

export function readSecrets(env: NodeJS.ProcessEnv = process.env): Secrets {
  const s: Secrets = {};
  if (env.BOSUN_API_KEY) s.apiKey = env.BOSUN_API_KEY;
  if (env.BOSUN_API_SECRET) s.apiSecret = env.BOSUN_API_SECRET;
  if (env.BOSUN_TELEGRAM_TOKEN) s.telegramToken = env.BOSUN_TELEGRAM_TOKEN;
  if (env.BOSUN_API_TOKEN) s.apiToken = env.BOSUN_API_TOKEN;
  if (env.BOSUN_AI_API_KEY) s.aiApiKey = env.BOSUN_AI_API_KEY;
  return s;
}
