// The loopback venue's face: a Binance-USD-M-compatible HTTP API (HMAC-signed like Binance), combined market
// streams and the user-data stream over WebSocket, non-Binance control endpoints (/bosun/v1/...) and fault injection.
// Guarantees: a signed request is checked (API key, HMAC-SHA256 signature, timestamp within recvWindow) before it
// touches the venue; unknown endpoints are logged and listed; restart() reloads the venue from MariaDB on the same port.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../../log/logger.js';
import { ExchangeError } from '../../errors.js';
import type { SimMarket } from '../markets.js';
import type { VenueEvent } from '../sim-types.js';
import type { MarketFrame, Venue } from '../venue.js';
import { FaultPlan, faultRuleSchema, type HttpFault } from './faults.js';
import { depthUpdate, marketFrame, userEvent } from './format.js';
import { ROUTES, type RouteContext } from './http-api.js';

export interface VenueServerOptions {
  open: () => Promise<Venue>;
  apiKey: string;
  apiSecret: string;
  host: string;
  port: number;
  log: Logger;
  listenKeyValidityMs: number;
  /** Binance closes a stream connection after 24 h; so does this venue. */
  maxConnectionMs: number;
}

interface Conn {
  ws: WebSocket;
  kind: 'market' | 'user';
  streams: Set<string>;
  silenced: boolean;
  timer: NodeJS.Timeout;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** Request weights that are not 1 (Binance's documentation, for the calls bosun makes). */
const WEIGHT: Record<string, number> = {
  'GET /fapi/v1/klines': 5, 'GET /fapi/v2/positionRisk': 5, 'GET /fapi/v3/positionRisk': 5, 'GET /fapi/v1/userTrades': 5, 'GET /fapi/v1/allOrders': 5,
  'POST /fapi/v1/batchOrders': 5, 'GET /fapi/v2/account': 5, 'GET /fapi/v3/account': 5, 'GET /fapi/v2/balance': 5, 'GET /fapi/v3/balance': 5, 'GET /fapi/v1/income': 30,
  'GET /fapi/v1/openOrders': 1, 'GET /fapi/v1/exchangeInfo': 1, 'GET /fapi/v1/depth': 5,
};
const ORDER_ROUTES = new Set(['POST /fapi/v1/order', 'POST /fapi/v1/batchOrders', 'POST /fapi/v1/algoOrder']);

/** The account's usage in Binance's windows (weight a minute, orders in 10 s and a minute), as the X-MBX-* headers report it. */
class Usage {
  private minute = -1;
  private tenSec = -1;
  weight = 0;
  orders1m = 0;
  orders10s = 0;

  private roll(now: number): void {
    const m = Math.floor(now / 60_000);
    const t = Math.floor(now / 10_000);
    if (m !== this.minute) {
      this.minute = m;
      this.weight = 0;
      this.orders1m = 0;
    }
    if (t !== this.tenSec) {
      this.tenSec = t;
      this.orders10s = 0;
    }
  }

  /** Counts one request; returns its headers. */
  count(now: number, weight: number, orders: number): Record<string, string> {
    this.roll(now);
    this.weight += weight;
    this.orders1m += orders;
    this.orders10s += orders;
    return { 'X-MBX-USED-WEIGHT-1M': String(this.weight), ...(orders ? { 'X-MBX-ORDER-COUNT-10S': String(this.orders10s), 'X-MBX-ORDER-COUNT-1M': String(this.orders1m) } : {}) };
  }

  /** Usage by others of the same account or IP in the current windows (a test's control). */
  add(now: number, u: { weight?: number; orders10s?: number; orders1m?: number }): void {
    this.roll(now);
    this.weight += u.weight ?? 0;
    this.orders10s += u.orders10s ?? 0;
    this.orders1m += u.orders1m ?? 0;
  }
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class VenueServer {
  venue!: Venue;
  readonly faults = new FaultPlan();
  /** `METHOD /path` of every request the venue does not implement (what a client called that we lack). */
  readonly unknownEndpoints: string[] = [];
  readonly counts = new Map<string, number>();
  readonly usage = new Usage();
  /** While true every exchange endpoint answers 503 (-1008 "Service Unavailable"), as Binance does during maintenance. */
  maintenance = false;
  clockSkewMs = 0;
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly conns = new Set<Conn>();
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private listenKey: { key: string; expiresAt: number } | null = null;
  private keyTimer: NodeJS.Timeout | null = null;
  private offMarket: (() => void) | null = null;
  private offUser: (() => void) | null = null;
  private port: number;
  private markets: SimMarket[] = [];
  private bySymbol = new Map<string, SimMarket>();
  private depthSeq = 0;

  constructor(private readonly o: VenueServerOptions) {
    this.port = o.port;
  }

  get url(): string {
    return `http://${this.o.host}:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://${this.o.host}:${this.port}`;
  }

  async start(): Promise<{ url: string; port: number }> {
    this.venue = await this.o.open();
    this.markets = this.venue.core.opts.markets;
    this.bySymbol = new Map(this.markets.map((m) => [m.symbol, m]));
    this.offMarket = this.venue.onMarket((f) => this.broadcastMarket(f));
    this.offUser = this.venue.onUser((e) => this.broadcastUser(e));
    this.http = createServer((req, res) => void this.onRequest(req, res).catch((err) => {
      this.o.log.error({ err: (err as Error).message }, 'venue request failed');
      json(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
    }));
    this.http.keepAliveTimeout = 30_000;
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket as Socket, head));
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.port, this.o.host, () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.keyTimer = setInterval(() => this.checkListenKey(), 250);
    this.venue.start();
    this.o.log.info({ url: this.url, venue: this.venue.o.venueId, symbols: this.venue.o.symbols, speed: this.venue.clock.speed }, 'venue listening');
    return { url: this.url, port: this.port };
  }

  async stop(): Promise<void> {
    if (this.keyTimer) clearInterval(this.keyTimer);
    this.keyTimer = null;
    this.offMarket?.();
    this.offUser?.();
    for (const c of this.conns) {
      clearTimeout(c.timer);
      c.ws.terminate();
    }
    this.conns.clear();
    for (const r of this.held) r.destroy();
    this.held.clear();
    await this.venue?.stop();
    if (this.http) {
      const h = this.http;
      this.http = null;
      await new Promise<void>((resolve) => {
        h.close(() => resolve());
        for (const s of this.sockets) s.destroy();
      });
    }
    this.wss?.close();
    this.wss = null;
  }

  /** Stops and starts again on the same port with the venue reloaded from MariaDB (a venue process restart). */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await sleep(downMs);
    await this.start();
  }

  // ------------------------------------------------------------------ faults

  /** Stops sending on stream connections and stops reading from them (no pongs): a silent TCP black hole. */
  silentDrop(scope: 'market' | 'user' | 'all' = 'all'): number {
    let n = 0;
    for (const c of this.conns) {
      if (scope !== 'all' && c.kind !== scope) continue;
      c.silenced = true;
      (c.ws as unknown as { _socket?: Socket })._socket?.pause();
      n++;
    }
    return n;
  }

  /** Closes stream connections abruptly. */
  dropStreams(scope: 'market' | 'user' | 'all' = 'all'): number {
    let n = 0;
    for (const c of [...this.conns]) {
      if (scope !== 'all' && c.kind !== scope) continue;
      c.ws.terminate();
      n++;
    }
    return n;
  }

  /** Expires the account's listenKey now (as if keep-alives had stopped an hour ago). */
  expireListenKey(): boolean {
    if (!this.listenKey) return false;
    this.listenKey.expiresAt = 0;
    this.checkListenKey();
    return true;
  }

  get streamConnections(): { market: number; user: number } {
    let market = 0;
    let user = 0;
    for (const c of this.conns) if (!c.silenced) c.kind === 'market' ? market++ : user++;
    return { market, user };
  }

  // ------------------------------------------------------------------ http

  private wallNow(): number {
    return Date.now() + this.clockSkewMs;
  }

  /**
   * The time the account's request windows are counted in: the wall, as Binance counts them, except in a lockstep
   * replay, where the venue's minute is a bar and the wall has no meaning (a minute of requests per bar, not per second).
   */
  private usageNow(): number {
    return this.venue.o.lockstep ? this.venue.now() : Date.now();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://venue');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const body = await readBody(req);
    if (path.startsWith('/bosun/v1/')) return this.control(method, path, body, res);
    const faults = this.faults.take(method, path);
    for (const f of faults) if (f.kind === 'latency') await sleep(f.ms);
    const pre = faults.find((f): f is Extract<HttpFault, { kind: 'status' | 'error' }> => f.kind === 'status' || f.kind === 'error');
    if (pre) return this.sendFault(res, pre);
    const key = `${method} ${path}`;
    if (this.maintenance) return json(res, 503, { code: -1008, msg: 'Service Unavailable. The system is under maintenance.' });
    const route = ROUTES[key];
    if (!route) {
      this.unknownEndpoints.push(key);
      this.o.log.warn({ endpoint: key }, 'venue: unknown endpoint requested');
      return json(res, 404, { code: -5000, msg: `Path ${path}, Method ${method} is invalid` });
    }
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const params = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    const authErr = route.auth === 'none' ? null : this.authenticate(req, url.search.slice(1), body, params, route.auth === 'signed');
    if (authErr) return json(res, authErr.status, { code: authErr.code, msg: authErr.msg });
    // The matching engine's own recvWindow check (Binance -5028): a signed order that waited in the venue's queue past
    // timestamp + recvWindow is refused there, not placed.
    const deadline = route.auth === 'signed' ? Number(params.get('timestamp')) + Number(params.get('recvWindow') ?? 5000) : Infinity;
    const checkWindow = () => {
      if (this.wallNow() > deadline) throw new ExchangeError('Timestamp for this request is outside of the ME recvWindow.', 'definitive', -5028);
    };
    const ctx: RouteContext = { venue: this.venue, params, markets: this.markets, wallNow: this.wallNow(), checkWindow, listenKeys: this.listenKeyApi() };
    const orders = ORDER_ROUTES.has(key) ? (key === 'POST /fapi/v1/batchOrders' ? Math.max(1, (params.get('batchOrders') ?? '').split('"symbol"').length - 1) : 1) : 0;
    const used = this.usage.count(this.usageNow(), WEIGHT[key] ?? 1, orders);
    let result: unknown;
    try {
      result = await route.handle(ctx);
    } catch (err) {
      if (err instanceof ExchangeError && typeof err.code === 'number' && err.kind === 'definitive') {
        return json(res, err.code === -2015 ? 401 : 400, { code: err.code, msg: err.message }, used);
      }
      if (err instanceof ExchangeError && err.kind === 'ambiguous') {
        return json(res, 503, { code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' });
      }
      throw err;
    }
    const after = faults.find((f) => f.kind === 'timeout_after_accept' || f.kind === 'error_after_accept');
    if (after?.kind === 'timeout_after_accept') {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (after?.kind === 'error_after_accept') return this.sendFault(res, { kind: 'status', status: after.status, ...(after.code !== undefined ? { code: after.code } : {}), ...(after.msg ? { msg: after.msg } : {}) });
    json(res, 200, result, used);
  }

  private sendFault(res: ServerResponse, f: Extract<HttpFault, { kind: 'status' | 'error' }>): void {
    if (f.kind === 'error') {
      const msg = f.msg ?? (f.code === -1021 ? 'Timestamp for this request is outside of the recvWindow.' : f.code === -1003 ? 'Too many requests; current limit is 2400 requests per minute.' : 'injected error');
      return json(res, f.status ?? 400, { code: f.code, msg });
    }
    const headers: Record<string, string> = f.retryAfterSec !== undefined ? { 'Retry-After': String(f.retryAfterSec) } : {};
    const code = f.code ?? (f.status === 429 ? -1003 : f.status === 418 ? -1003 : -1001);
    const msg = f.msg ?? (f.status === 418 ? 'Way too many requests; IP banned until later.' : f.status === 429 ? 'Too many requests; current limit is 2400 requests per minute.' : 'Internal error; unable to process your request. Please try again.');
    json(res, f.status, { code, msg }, headers);
  }

  private authenticate(req: IncomingMessage, query: string, body: string, params: URLSearchParams, signed: boolean): { status: number; code: number; msg: string } | null {
    const key = req.headers['x-mbx-apikey'];
    if (key !== this.o.apiKey) return { status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
    if (!signed) return null;
    const sig = params.get('signature');
    if (!sig) return { status: 400, code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." };
    const strip = (s: string) => s.replace(/(^|&)signature=[^&]*/, '').replace(/^&/, '');
    const payload = strip(query) + strip(body);
    const want = createHmac('sha256', this.o.apiSecret).update(payload).digest();
    const got = Buffer.from(sig, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { status: 400, code: -1022, msg: 'Signature for this request is not valid.' };
    const ts = Number(params.get('timestamp'));
    const window = Number(params.get('recvWindow') ?? 5000);
    if (!Number.isFinite(ts)) return { status: 400, code: -1102, msg: "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed." };
    if (!(window > 0 && window <= 60_000)) return { status: 400, code: -1131, msg: 'recvWindow must be less than 60000' };
    const now = this.wallNow();
    if (ts > now + 1000) return { status: 400, code: -1021, msg: "Timestamp for this request was 1000ms ahead of the server's time." };
    if (now - ts > window) return { status: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
    return null;
  }

  private listenKeyApi(): RouteContext['listenKeys'] {
    const valid = () => this.listenKey && this.listenKey.expiresAt > Date.now();
    return {
      create: () => {
        if (!valid()) this.listenKey = { key: randomBytes(32).toString('base64url').slice(0, 64), expiresAt: 0 };
        this.listenKey!.expiresAt = Date.now() + this.o.listenKeyValidityMs;
        return this.listenKey!.key;
      },
      keepAlive: (key) => {
        if (!valid() || (key && key !== this.listenKey!.key)) return null;
        this.listenKey!.expiresAt = Date.now() + this.o.listenKeyValidityMs;
        return this.listenKey!.key;
      },
      close: (key) => {
        if (this.listenKey && (!key || key === this.listenKey.key)) this.listenKey = null;
        for (const c of this.conns) if (c.kind === 'user') c.ws.close(1000, 'listenKey closed');
      },
    };
  }

  private checkListenKey(): void {
    if (!this.listenKey || this.listenKey.expiresAt > Date.now()) return;
    const key = this.listenKey.key;
    this.listenKey = null;
    const msg = JSON.stringify({ e: 'listenKeyExpired', E: this.venue.now(), listenKey: key });
    for (const c of this.conns) {
      if (c.kind !== 'user' || c.silenced) continue;
      this.sendTo(c, msg);
      setTimeout(() => c.ws.close(1000, 'listenKey expired'), 50);
    }
  }

  private async control(method: string, path: string, body: string, res: ServerResponse): Promise<void> {
    const arg = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const core = this.venue.core;
    switch (`${method} ${path}`) {
      case 'GET /bosun/v1/clock':
        return json(res, 200, { ...this.venue.clock, now: this.venue.now(), wallNow: Date.now(), venueId: this.venue.o.venueId, stepsPerMinute: this.venue.stepsPerMinute });
      case 'GET /bosun/v1/health':
        return json(res, 200, { ok: true, venueId: this.venue.o.venueId, unknownEndpoints: this.unknownEndpoints, faultsPending: this.faults.pending, streams: this.streamConnections, saveError: this.venue.lastSaveError });
      case 'GET /bosun/v1/state':
        return json(res, 200, await this.venue.query(() => ({ now: this.venue.now(), orders: core.allOrders(), fills: core.allFills(), positions: core.positions(), balance: core.balance(), funding: core.fundingHistory() })));
      case 'POST /bosun/v1/faults':
        this.faults.add(...((arg.rules as unknown[]) ?? []).map((r) => faultRuleSchema.parse(r)));
        return json(res, 200, { pending: this.faults.pending });
      case 'DELETE /bosun/v1/faults':
        this.faults.clear();
        this.clockSkewMs = 0;
        return json(res, 200, { pending: 0 });
      case 'POST /bosun/v1/ws-faults': {
        const scope = (arg.scope as 'market' | 'user' | 'all') ?? 'all';
        const n = arg.action === 'silent_drop' ? this.silentDrop(scope) : arg.action === 'drop' ? this.dropStreams(scope) : arg.action === 'expire_listen_key' ? Number(this.expireListenKey()) : -1;
        return json(res, n < 0 ? 400 : 200, { affected: n });
      }
      case 'POST /bosun/v1/usage':
        // Usage by others in the current windows: { weight?, orders10s?, orders1m? }.
        this.usage.add(this.usageNow(), arg as { weight?: number; orders10s?: number; orders1m?: number });
        return json(res, 200, { weight: this.usage.weight, orders10s: this.usage.orders10s, orders1m: this.usage.orders1m });
      case 'POST /bosun/v1/maintenance':
        this.maintenance = !!arg.on;
        return json(res, 200, { maintenance: this.maintenance });
      case 'POST /bosun/v1/user-frame': {
        // A raw frame on every user-data connection, as a hostile or broken exchange might send it ({ frame }: JSON or text).
        const text = typeof arg.frame === 'string' ? arg.frame : JSON.stringify(arg.frame);
        let n = 0;
        for (const c of this.conns) {
          if (c.kind !== 'user' || c.silenced) continue;
          this.sendTo(c, text);
          n++;
        }
        return json(res, 200, { sent: n });
      }
      case 'POST /bosun/v1/force-close': {
        // The exchange closes a position on its own: { symbol, kind: adl | insurance | settlement | liquidation, price? }.
        const kind = String(arg.kind ?? 'adl');
        if (!['adl', 'insurance', 'settlement', 'liquidation'].includes(kind)) return json(res, 400, { error: `unknown kind ${kind}` });
        const fill = await this.venue.forceClose(String(arg.symbol), kind as 'adl', arg.price === undefined ? undefined : Number(arg.price));
        return json(res, 200, { fill });
      }
      case 'POST /bosun/v1/clock-skew':
        this.clockSkewMs = Number(arg.ms ?? 0);
        return json(res, 200, { skewMs: this.clockSkewMs });
      case 'POST /bosun/v1/restart':
        json(res, 200, { restarting: true });
        setTimeout(() => void this.restart(Number(arg.downMs ?? 0)).catch((err) => this.o.log.error({ err: (err as Error).message }, 'venue restart failed')), 10);
        return;
      default:
        return json(res, 404, { error: `no control endpoint ${method} ${path}` });
    }
  }

  // ------------------------------------------------------------------ streams

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://venue');
    let kind: Conn['kind'];
    let streams = new Set<string>();
    if (url.pathname === '/stream') {
      kind = 'market';
      streams = new Set((url.searchParams.get('streams') ?? '').split('/').filter(Boolean).map((s) => s.replace(/@markPrice$/, '@markPrice@1s').replace(/@depth5@\d+ms$/, '@depth5')));
    } else if (url.pathname.startsWith('/ws/')) {
      const key = url.pathname.slice(4);
      if (!this.listenKey || this.listenKey.key !== key || this.listenKey.expiresAt <= Date.now()) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"code":-1125,"msg":"This listenKey does not exist."}');
        return;
      }
      kind = 'user';
    } else {
      this.unknownEndpoints.push(`WS ${url.pathname}`);
      socket.destroy();
      return;
    }
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
      const c: Conn = { ws, kind, streams, silenced: false, timer: setTimeout(() => ws.close(1000, 'connection reached its 24h limit'), this.o.maxConnectionMs) };
      this.conns.add(c);
      ws.on('close', () => {
        clearTimeout(c.timer);
        this.conns.delete(c);
      });
      ws.on('error', () => undefined);
    });
  }

  private broadcastMarket(f: MarketFrame): void {
    if (!this.conns.size) return;
    const m = this.bySymbol.get(f.kind === 'kline' ? f.candle.symbol : f.symbol);
    if (!m) return;
    const frame = marketFrame(f, m);
    if (!frame) return;
    let text: string | null = null;
    let depth: string | null = null;
    const depthName = `${m.id.toLowerCase()}@depth5`;
    for (const c of this.conns) {
      if (c.kind !== 'market' || c.silenced) continue;
      if (c.streams.has(frame.stream)) this.sendTo(c, (text ??= JSON.stringify(frame)));
      if (f.kind === 'book' && c.streams.has(depthName)) {
        depth ??= JSON.stringify({ stream: depthName, data: depthUpdate(this.venue.core, m, f.ts, ++this.depthSeq) });
        this.sendTo(c, depth);
      }
    }
  }

  /** A frame to a stream client; in lockstep it counts as work until the client has handled it. */
  private sendTo(c: Conn, text: string): void {
    this.venue.o.lockstep?.begin();
    c.ws.send(text);
  }

  private broadcastUser(e: VenueEvent): void {
    let text: string | null = null;
    for (const c of this.conns) {
      if (c.kind !== 'user' || c.silenced) continue;
      this.sendTo(c, (text ??= JSON.stringify(userEvent(e, this.venue.core, this.bySymbol))));
    }
  }
}
