// Benchmark peer thread: receives either raw payloads or bus envelopes and reports one-hop latencies.
// Runs the real PortBus on the receiving side so the measured path is the production path.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortBus } from '../../src/bus/port-bus.js';

const { port, mode, role } = workerData as { port: MessagePort; mode: 'raw' | 'bus'; role: 'send' | 'recv' };
const now = () => performance.timeOrigin + performance.now();
const candle = (i: number) => ({ symbol: 'BTC/USDT:USDT', tf: '1m' as const, openTime: i * 60_000, open: 30000.1, high: 30010.5, low: 29990.2, close: 30005.3, volume: 12.345, takerBuyVolume: 6.1, closed: true, t: 0 });

if (role === 'recv') {
  const lat: number[] = [];
  let got = 0;
  let target = 0;
  let firstAt = 0;
  const onMsg = (payload: { t: number }) => {
    const t = now();
    if (got === 0) firstAt = t;
    if (target === 0) lat.push(t - payload.t);
    got++;
    if (target && got === target) parentPort!.postMessage({ kind: 'flood_done', ms: t - firstAt });
    else if (!target) parentPort!.postMessage({ kind: 'ack' });
  };
  if (mode === 'raw') port.on('message', onMsg);
  else new PortBus('recv', () => Date.now(), 'r-', [], [{ from: 'send', port }]).subscribe('market.candle', (e) => onMsg(e.payload as unknown as { t: number }));
  parentPort!.on('message', (m: { kind: string; n?: number }) => {
    if (m.kind === 'latencies') parentPort!.postMessage({ kind: 'latencies', lat: lat.splice(0) });
    if (m.kind === 'flood') {
      target = m.n!;
      got = 0;
    }
  });
} else {
  const bus = mode === 'bus' ? new PortBus('send', () => Date.now(), 's-', [{ to: 'recv', topics: ['market.candle'], port }], []) : null;
  const send = (i: number) => {
    const c = candle(i);
    c.t = now();
    if (bus) bus.publish('market.candle', c);
    else port.postMessage(c);
  };
  parentPort!.on('message', (m: { kind: string; i?: number; n?: number }) => {
    if (m.kind === 'one') send(m.i!);
    if (m.kind === 'flood') for (let i = 0; i < m.n!; i++) send(i);
  });
}
