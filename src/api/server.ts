// The operator's HTTP API and web dashboard in the daemon's main thread (Fastify): the query layer's reads, operator
// actions through the control path, manual inputs, OpenAPI from the same zod schemas that validate, a WebSocket feed.
// Guarantees every route but /api/v1/ping and the dashboard's static files needs the bearer token (401 otherwise); a
// bad body is a 400 naming each field's path and writes nothing; repeated auth failures from one address get 429 and
// are logged; the token never reaches a log line, a response or the page.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'mariadb';
import { z } from 'zod';
import { etfFlowSchema, liquidationMapSchema, sentimentSchema, type ManualKind } from '../analytics/manual-inputs.js';
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { ManualInputRejected, recordManualInput } from '../ops/manual-input.js';
import type { ActionResult, OperatorAction } from '../ops/operator.js';
import { query, queryArgs, type QueryContext, type QueryName } from '../ops/queries/index.js';
import { records } from '../ops/queries/index.js';
import { distRoot } from '../paths.js';
import { LiveFeed } from './live.js';
import { bearer, tokenMatches, type ApiToken } from './token.js';

export const API_PREFIX = '/api/v1';

export interface ApiDeps {
  config: Config;
  pool: Pool;
  clock: Clock;
  log: Logger;
  token: ApiToken;
  /** The daemon's control dispatcher: the same function the control socket calls (status and operator actions). */
  control: (cmd: string, args: Record<string, unknown>) => Promise<unknown>;
  /** Where the built dashboard lives (dist/web). */
  webDir?: string;
}

/** Sliding one-minute window of failed authentications per client address. */
class AuthFailures {
  private readonly seen = new Map<string, number[]>();
  constructor(private readonly perMin: number) {}
  private recent(ip: string, now: number): number[] {
    const list = (this.seen.get(ip) ?? []).filter((t) => now - t < 60_000);
    if (list.length) this.seen.set(ip, list);
    else this.seen.delete(ip);
    return list;
  }
  /** Seconds until the address may try again, or 0. */
  blockedFor(ip: string, now: number): number {
    const list = this.recent(ip, now);
    return list.length >= this.perMin ? Math.ceil((60_000 - (now - list[0]!)) / 1000) : 0;
  }
  add(ip: string, now: number): number {
    const list = this.recent(ip, now);
    list.push(now);
    this.seen.set(ip, list);
    if (this.seen.size > 10_000) this.seen.clear();
    return list.length;
  }
}

/** "body.clusters[0].price" from the provider's "/clusters/0/price". */
function fieldPath(context: string | undefined, instancePath: string, params: Record<string, unknown>): string[] {
  const parts = instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
  const base = `${context ?? 'body'}${parts}`;
  const keys = Array.isArray(params.keys) ? (params.keys as string[]) : null;
  return keys?.length ? keys.map((k) => `${base}.${k}`) : [base];
}

const confirm = z.literal(true, { error: 'must be true: this action closes positions' }).describe('set to true to confirm');

export const actionBodies = {
  pause: z.strictObject({ reason: z.string().max(200).optional() }),
  resume: z.strictObject({ reason: z.string().max(200).optional() }),
  flatten: z.strictObject({ confirm }),
  'force-exit': z.strictObject({ symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/, 'expected a symbol like BTC/USDT:USDT'), confirm }),
  'kill-switch': z.strictObject({ reason: z.string().max(200).optional(), confirm }),
} satisfies Record<OperatorAction, z.ZodType>;

const inputBodies: Record<string, { kind: ManualKind; schema: z.ZodType }> = {
  sentiment: { kind: 'sentiment', schema: sentimentSchema.partial({ comment: true }) },
  'etf-flow': { kind: 'etf_flow', schema: etfFlowSchema },
  liquidations: { kind: 'liquidations', schema: liquidationMapSchema },
};

const QUERY_ROUTES: Array<{ path: string; name: QueryName; summary: string; tag: string }> = [
  { path: '/positions', name: 'positions', summary: 'Open positions (one per symbol), each with its stop and take-profit legs and unrealised PnL', tag: 'trading' },
  { path: '/orders', name: 'orders', summary: 'Orders, newest first', tag: 'trading' },
  { path: '/trades', name: 'trades', summary: 'Closed trades (positions), newest first', tag: 'trading' },
  { path: '/pnl', name: 'pnl', summary: 'Net PnL of closed trades per day, week or month', tag: 'trading' },
  { path: '/performance', name: 'performance', summary: 'Closed trades and net PnL per symbol', tag: 'trading' },
  { path: '/profit', name: 'profit', summary: 'Totals over every closed trade: net PnL, win rate, profit factor', tag: 'trading' },
  { path: '/count', name: 'count', summary: 'Open positions against risk.maxPositions', tag: 'trading' },
  { path: '/equity', name: 'equity', summary: 'Latest equity and the equity curve (thinned to `points`)', tag: 'trading' },
  { path: '/decisions', name: 'decisions', summary: 'Decisions with votes, vetoes, intent and reasoning, newest first', tag: 'decisions' },
  { path: '/risk', name: 'risk', summary: 'Breakers in force and recent breaker history', tag: 'risk' },
  { path: '/logs', name: 'logs', summary: 'WARN and above from the logs table, newest first', tag: 'operations' },
  { path: '/notifications', name: 'notifications', summary: 'Notifications (alerts) and the delivery backlog', tag: 'operations' },
  { path: '/operator-actions', name: 'operatorActions', summary: 'Operator actions with who, from where and the outcome', tag: 'operations' },
  { path: '/manual-inputs', name: 'manualInputs', summary: 'Manual inputs (sentiment, ETF flows, liquidation maps), newest first', tag: 'inputs' },
  { path: '/insights', name: 'insights', summary: 'What the learning loop learned (patterns and weight multipliers)', tag: 'decisions' },
  { path: '/backtests', name: 'backtests', summary: 'Backtest runs, newest first', tag: 'backtests' },
];

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  live: LiveFeed;
  close(): Promise<void>;
}

export async function startApi(d: ApiDeps): Promise<ApiServer> {
  const cfg = d.config.ops.api;
  const app = Fastify({ logger: false, bodyLimit: cfg.bodyLimitBytes, trustProxy: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const failures = new AuthFailures(cfg.authFailuresPerMin);
  const qc: QueryContext = { pool: d.pool, config: d.config, now: () => d.clock.now() };
  const live = new LiveFeed({ pool: d.pool, symbols: d.config.symbols, pollMs: cfg.livePollMs, log: d.log });
  const who = (req: FastifyRequest) => `api:${d.token.id}@${req.ip}`;
  // A report opens in its own tab, which cannot send the bearer header: the dashboard asks for a link signed with the
  // token (HMAC, one minute), which names the report and its expiry and reveals nothing of the token.
  const sign = (path: string, exp: number) => createHmac('sha256', d.token.token).update(`${path}|${exp}`).digest('base64url');
  const reportLinkValid = (path: string, q: Record<string, string>, now: number): boolean => {
    if (!/^\/api\/v1\/backtests\/\d+\/report$/.test(path) || !q.exp || !q.sig) return false;
    const exp = Number(q.exp);
    if (!Number.isFinite(exp) || exp < now || exp > now + 120_000) return false;
    const want = Buffer.from(sign(path, exp));
    const got = Buffer.from(String(q.sig));
    return want.length === got.length && timingSafeEqual(want, got);
  };

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'bosun operator API', version: '1', description: 'Reads from MariaDB through the query layer shared with `bosun status` and Telegram; actions take the control path and are recorded in operator_actions.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; validationContext?: string }, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.flatMap((v) => fieldPath(err.validationContext, v.instancePath, v.params as Record<string, unknown>).map((path) => ({ path, message: v.message })));
      return reply.code(400).send({ error: 'bad request: nothing was written', issues });
    }
    if (err instanceof ManualInputRejected) {
      return reply.code(400).send({ error: 'bad request: nothing was written', issues: err.issues.map((i) => ({ path: `body.${i.path}`.replace('body.(root)', 'body').replace('.[', '['), message: i.message })) });
    }
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) d.log.error({ err: err.message, method: req.method, path: req.routeOptions.url ?? req.url.split('?')[0] }, 'api request failed');
    return reply.code(code).send({ error: code === 500 ? `failed: ${err.message}` : err.message, ...(code === 400 ? { issues: [{ path: 'body', message: err.message }] } : {}) });
  });

  // Authentication: everything under /api/ but ping (and the WebSocket, which authenticates its first message).
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (!path.startsWith('/api/') || path === `${API_PREFIX}/ping`) return;
    const now = Date.now();
    const wait = failures.blockedFor(req.ip, now);
    if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed authentications from ${req.ip}; retry in ${wait} s` });
    if (path === `${API_PREFIX}/ws` && !req.headers.authorization) return;
    if (reportLinkValid(path, req.query as Record<string, string>, now)) return;
    if (tokenMatches(d.token.token, bearer(req.headers.authorization))) return;
    const n = failures.add(req.ip, now);
    d.log.warn({ ip: req.ip, method: req.method, path, failures: n, limitPerMin: cfg.authFailuresPerMin }, req.headers.authorization ? 'api: wrong token' : 'api: request without a token');
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized: send Authorization: Bearer <token> (BOSUN_API_TOKEN)' });
  });

  app.get(`${API_PREFIX}/ping`, { schema: { summary: 'Liveness (no token needed)', tags: ['operations'], security: [], response: { 200: z.object({ ok: z.literal(true), mode: z.string() }) } } }, async () => ({ ok: true as const, mode: d.config.mode }));

  app.get(`${API_PREFIX}/status`, { schema: { summary: 'What `bosun status --json` shows: actors with state and thread, health, exchange, DB, positions, equity, risk, notifications', tags: ['operations'] } },
    async () => d.control('status', {}));

  for (const r of QUERY_ROUTES) {
    app.get(`${API_PREFIX}${r.path}`, { schema: { summary: r.summary, tags: [r.tag], querystring: queryArgs[r.name] } }, async (req) => query(qc, r.name, req.query as never));
  }

  app.get(`${API_PREFIX}/decisions/:id`, { schema: { summary: 'One decision with every vote, veto, gate, the intent and the reasoning', tags: ['decisions'], params: queryArgs.decision } }, async (req, reply) => {
    const r = await query(qc, 'decision', req.params);
    return r ?? reply.code(404).send({ error: `no decision ${req.params.id}` });
  });

  app.get(`${API_PREFIX}/backtests/:id/link`, { schema: { summary: 'A one-minute signed link to the run\'s HTML report (for a browser tab, which cannot send the token)', tags: ['backtests'], params: z.strictObject({ id: z.coerce.number().int().min(1) }) } },
    async (req) => {
      const path = `${API_PREFIX}/backtests/${req.params.id}/report`;
      const exp = Date.now() + 60_000;
      return { url: `${path}?exp=${exp}&sig=${sign(path, exp)}`, expiresAt: exp };
    });

  app.get(`${API_PREFIX}/backtests/:id/report`, { schema: { summary: 'A backtest run\'s self-contained HTML report (as `bosun backtest --html` writes it); bearer token or a signed link', tags: ['backtests'], params: z.strictObject({ id: z.coerce.number().int().min(1) }), querystring: z.object({ exp: z.string().optional(), sig: z.string().optional() }) } },
    async (req, reply) => {
      const html = await records.backtestReport(d.pool, req.params.id);
      if (html === null) return reply.code(404).send({ error: `no backtest run ${req.params.id}` });
      return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:").send(html);
    });

  for (const action of Object.keys(actionBodies) as OperatorAction[]) {
    app.post(`${API_PREFIX}/actions/${action}`, {
      schema: {
        summary: { pause: 'Pause new entries (stops and targets stay active)', resume: 'Allow new entries again (releases the kill switch)', flatten: 'Cancel entries and close every position at market', 'force-exit': 'Close one symbol\'s position at market', 'kill-switch': 'Pause, flatten and halt until resumed' }[action],
        tags: ['actions'], body: actionBodies[action],
      },
    }, async (req) => {
      const b = req.body as { reason?: string; symbol?: string };
      return (await d.control(action, { by: who(req), source: 'api', ...(b.reason ? { reason: b.reason } : {}), ...(b.symbol ? { symbol: b.symbol } : {}) })) as ActionResult;
    });
  }

  for (const [path, { kind, schema }] of Object.entries(inputBodies)) {
    app.post(`${API_PREFIX}/inputs/${path}`, { schema: { summary: `Record a manual input (${kind}), validated as \`bosun input\` validates it`, tags: ['inputs'], body: schema } }, async (req, reply) => {
      const body = kind === 'sentiment' ? { comment: '', ...(req.body as object) } : req.body;
      const now = Date.now();
      const r = await recordManualInput(d.pool, d.config, kind, body, { by: who(req), source: 'api' }, now, d.clock.now());
      return reply.code(201).send(r);
    });
  }

  const WS_SUMMARY = 'WebSocket: send {"type":"auth","token":"…"} first (or connect with the Authorization header); then events {type, data}: candle, decision, order, fill, positions, alert, equity';
  app.get(`${API_PREFIX}/openapi.json`, { schema: { summary: 'This document (OpenAPI 3)', tags: ['operations'] } }, async () => {
    const doc = app.swagger() as { paths?: Record<string, unknown> };
    // The swagger plugin leaves WebSocket routes out: documented here by hand.
    doc.paths = { ...doc.paths, [`${API_PREFIX}/ws`]: { get: { summary: WS_SUMMARY, tags: ['live'], responses: { 101: { description: 'Switching Protocols: the live feed' }, 401: { description: 'wrong token (or close code 4401)' } } } } };
    return doc;
  });

  app.get(`${API_PREFIX}/ws`, { websocket: true, schema: { summary: WS_SUMMARY, tags: ['live'] } }, (socket, req) => {
    let off: (() => void) | null = null;
    const start = () => {
      socket.send(JSON.stringify({ type: 'hello', data: { mode: d.config.mode, symbols: d.config.symbols } }));
      off = live.subscribe((e) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e));
      });
    };
    socket.on('close', () => off?.());
    if (req.headers.authorization) return start(); // the onRequest hook checked it
    const timer = setTimeout(() => socket.close(4401, 'no auth message'), 5000);
    socket.once('message', (raw: Buffer) => {
      clearTimeout(timer);
      let token: unknown;
      try {
        token = (JSON.parse(raw.toString()) as { type?: string; token?: unknown }).token;
      } catch {
        token = null;
      }
      if (typeof token === 'string' && tokenMatches(d.token.token, token)) return start();
      const n = failures.add(req.ip, Date.now());
      d.log.warn({ ip: req.ip, path: `${API_PREFIX}/ws`, failures: n }, 'api: websocket with a wrong token');
      socket.close(4401, 'unauthorized');
    });
  });

  // The dashboard: static files built by `npm run build` (scripts/build-web.mjs), read once.
  const web = d.webDir ?? join(distRoot, 'web');
  const files: Record<string, { type: string; body: Buffer | null }> = {
    '/': { type: 'text/html; charset=utf-8', body: null },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: null },
    '/app.css': { type: 'text/css; charset=utf-8', body: null },
  };
  const fileOf: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/app.css': 'app.css' };
  for (const [route, f] of Object.entries(files)) {
    app.get(route, { schema: { hide: true } }, async (_req, reply: FastifyReply) => {
      try {
        f.body ??= readFileSync(join(web, fileOf[route]!));
      } catch {
        return reply.code(503).type('text/plain').send(`the dashboard is not built (${join(web, fileOf[route]!)} missing): run npm run build`);
      }
      return reply
        .type(f.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
        .send(f.body);
    });
  }

  await app.listen({ host: cfg.host, port: cfg.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    app, live, url: `http://${host}:${addr.port}/`,
    close: async () => {
      live.stop();
      await app.close();
    },
  };
}
