// Bus one-hop latency and throughput between two real worker threads, next to raw postMessage.
// Goal: bus p50 latency within 1.3× of raw postMessage measured in the same run.
import { MessageChannel, Worker } from 'node:worker_threads';
import { pct, type BenchLine } from './report.js';

const peer = new URL('./workers/bus-peer.js', import.meta.url);

async function measure(mode: 'raw' | 'bus', pings: number, flood: number): Promise<{ p50: number; p99: number; perSec: number }> {
  const { port1, port2 } = new MessageChannel();
  const sender = new Worker(peer, { workerData: { port: port1, mode, role: 'send' }, transferList: [port1] });
  const recv = new Worker(peer, { workerData: { port: port2, mode, role: 'recv' }, transferList: [port2] });
  const next = (w: Worker, kind: string) => new Promise<Record<string, unknown>>((r) => {
    const on = (m: Record<string, unknown>) => {
      if (m.kind === kind) {
        w.off('message', on);
        r(m);
      }
    };
    w.on('message', on);
  });
  // Ping-pong: one message in flight at a time, so latency is one hop, not queueing.
  for (let i = 0; i < pings; i++) {
    const ack = next(recv, 'ack');
    sender.postMessage({ kind: 'one', i });
    await ack;
  }
  const lat = ((await (async () => {
    const p = next(recv, 'latencies');
    recv.postMessage({ kind: 'latencies' });
    return p;
  })()).lat as number[]).slice(Math.floor(pings / 10)); // drop warm-up
  recv.postMessage({ kind: 'flood', n: flood });
  await new Promise((r) => setTimeout(r, 20));
  const done = next(recv, 'flood_done');
  sender.postMessage({ kind: 'flood', n: flood });
  const { ms } = (await done) as { ms: number };
  await Promise.all([sender.terminate(), recv.terminate()]);
  return { p50: pct(lat, 50) * 1000, p99: pct(lat, 99) * 1000, perSec: flood / (ms / 1000) };
}

export default async function run(): Promise<BenchLine[]> {
  const pings = 4000;
  const flood = 100_000;
  // Alternate to spread any drift (CPU frequency, GC) over both.
  const raw1 = await measure('raw', pings, flood);
  const bus1 = await measure('bus', pings, flood);
  const raw2 = await measure('raw', pings, flood);
  const bus2 = await measure('bus', pings, flood);
  const raw = { p50: Math.min(raw1.p50, raw2.p50), p99: Math.min(raw1.p99, raw2.p99), perSec: Math.max(raw1.perSec, raw2.perSec) };
  const bus = { p50: Math.min(bus1.p50, bus2.p50), p99: Math.min(bus1.p99, bus2.p99), perSec: Math.max(bus1.perSec, bus2.perSec) };
  return [
    { name: 'bus one-hop latency p50', value: bus.p50, unit: 'µs', baseline: { name: 'raw postMessage', value: raw.p50 }, goal: '≤ 1.3× raw', met: bus.p50 <= raw.p50 * 1.3 },
    { name: 'bus one-hop latency p99', value: bus.p99, unit: 'µs', baseline: { name: 'raw postMessage', value: raw.p99 } },
    { name: 'bus throughput (candle messages)', value: bus.perSec, unit: 'msg/s', baseline: { name: 'raw postMessage', value: raw.perSec } },
  ];
}
