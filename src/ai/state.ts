// Whether the AI swarm is on, and the words status uses for it. Guarantees the endpoint is shown without credentials
// or query, and the API key itself never appears (only whether one is set).
import type { Config } from '../config/schema.js';
import { readSecrets } from '../config/secrets.js';

/** scheme://host[:port]/path of the endpoint: no user info, query or fragment. */
export function endpointLabel(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return '(unparseable URL)';
  }
}

export function aiState(config: Pick<Config, 'ai'>, env: NodeJS.ProcessEnv = process.env): { on: boolean; text: string } {
  const a = config.ai;
  if (a.baseUrl === null) return { on: false, text: 'off (ai.baseUrl is not set): the ai_consensus source is unavailable and no Sentinel notes are written' };
  const key = readSecrets(env).aiApiKey ? 'key from BOSUN_AI_API_KEY' : 'no BOSUN_AI_API_KEY (fine for a local server)';
  const sentinel = a.sentinel.enabled ? `Sentinel ${a.sentinel.gate}` : 'Sentinel off';
  return { on: true, text: `on (${a.agents.length} agents every ${a.intervalSec} s, horizon ${a.horizonMin} min, ${sentinel}; ${endpointLabel(a.baseUrl)}, ${key})` };
}
