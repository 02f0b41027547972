// The local control socket: newline-delimited JSON requests and replies over a unix socket (mode 0600).
// Guarantees: one daemon per socket path (a live socket is refused, a stale one replaced); replies carry the request id.
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';

export interface ControlRequest {
  id: number;
  cmd: string;
  args?: Record<string, unknown>;
}

export type ControlReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type ControlHandler = (cmd: string, args: Record<string, unknown>) => Promise<unknown>;

export class DaemonRunningError extends Error {}

/** Resolves true if something answers on the socket. */
export function probe(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const t = setTimeout(() => done(false), timeoutMs);
    const done = (v: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function listenControl(path: string, handler: ControlHandler): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) {
    if (await probe(path)) throw new DaemonRunningError(`another bosun daemon is already running on ${path}`);
    unlinkSync(path);
  }
  const server = createServer((sock: Socket) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        void answer(sock, line);
      }
      if (buf.length > 1_000_000) sock.destroy();
    });
    sock.on('error', () => undefined);
  });
  const answer = async (sock: Socket, line: string) => {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
      if (typeof req.cmd !== 'string' || typeof req.id !== 'number') throw new Error('expected {id, cmd, args}');
    } catch (err) {
      sock.write(JSON.stringify({ id: -1, ok: false, error: `bad request: ${(err as Error).message}` }) + '\n');
      return;
    }
    let reply: ControlReply;
    try {
      reply = { id: req.id, ok: true, result: await handler(req.cmd, req.args ?? {}) };
    } catch (err) {
      reply = { id: req.id, ok: false, error: (err as Error).message };
    }
    if (!sock.destroyed) sock.write(JSON.stringify(reply) + '\n');
  };
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
  return server;
}

export class NotRunningError extends Error {}

/** Sends one request and waits for its reply. */
export function request(path: string, cmd: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const t = setTimeout(() => fail(new Error(`no reply from the daemon on ${path} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(t);
      s.destroy();
      reject(e);
    };
    s.setEncoding('utf8');
    s.once('connect', () => s.write(JSON.stringify({ id: 1, cmd, args }) + '\n'));
    s.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(t);
      s.end();
      const reply = JSON.parse(buf.slice(0, i)) as ControlReply;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.error));
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') fail(new NotRunningError(`bosun is not running (no daemon answers on ${path})`));
      else fail(e);
    });
  });
}
