// Signal on the LLM swarm's consensus (seed 000/001 ai_consensus): its blended p_up, as fresh as the snapshot allows.
// Guarantees no vote without a consensus, from a consensus older than `maxAgeSec` at the decision, or from one made after it.
import type { SignalParams } from '../../config/sections/decision.js';
import { f, na, none, sign, vote, type SignalFn } from './types.js';

export const aiConsensus: SignalFn<SignalParams['ai_consensus']> = (s, _prev, p) => {
  const c = s.ai;
  if (!c) return na('no AI consensus (the swarm is off, or has not answered yet)');
  const age = s.ts - c.madeAt;
  if (age < 0) return na(`AI consensus made ${Math.round(-age / 1000)} s after the snapshot`);
  if (age > p.maxAgeSec * 1000) return na(`AI consensus is ${Math.round(age / 1000)} s old (max ${p.maxAgeSec} s)`);
  const d = c.pUp - 0.5;
  const what = `AI consensus p_up ${f(c.pUp, 3)} (agreement ${f(c.agreement, 2)}, ${c.agents}/${c.of} agents, ${Math.round(age / 1000)} s old)`;
  if (Math.abs(d) < p.deadband) return none(`${what} inside the dead band`);
  return vote(sign(d), Math.abs(d) * 2, what);
};
