// The operator's dashboard (served by the daemon at /): overview, trades and orders, decisions, manual inputs,
// backtests, logs and alerts, controls; live over the API's WebSocket. Guarantees every value from the API is written as
// text (never parsed as HTML), the token stays in this tab (or, if asked, this device) and every action is confirmed.
import uPlot from 'uplot';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API documents are typed by the server (OpenAPI)

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const PAGES = ['overview', 'trades', 'decisions', 'inputs', 'backtests', 'logs', 'controls'] as const;
type Page = (typeof PAGES)[number];

let token: string | null = sessionStorage.getItem('bosun.token') ?? localStorage.getItem('bosun.token');
let ws: WebSocket | null = null;
let chart: uPlot | null = null;
const eq: { xs: number[]; ys: number[] } = { xs: [], ys: [] };
let status: Json = null;
const prices = new Map<string, { close: number; t: number }>();

// ---------- small helpers ----------
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<'class' | 'title' | 'colspan', string>> = {}, ...kids: Array<Node | string | null>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  for (const k of kids) if (k !== null) e.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return e;
}
const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '–');
const num = (v: string | number | null | undefined, d = 2) => (v === null || v === undefined || v === '' ? '–' : Number(v).toLocaleString(undefined, { minimumFractionDigits: d, maximumFractionDigits: d }));
const px = (v: string | number | null | undefined) => (v === null || v === undefined ? '–' : String(Number(v)));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
const signed = (v: string | number | null | undefined): HTMLElement => {
  const n = v === null || v === undefined ? null : Number(v);
  return el('span', { class: n === null ? '' : n > 0 ? 'pos' : n < 0 ? 'neg' : '' }, num(v));
};
const present = (...xs: Array<HTMLElement | null>): HTMLElement[] => xs.filter((x): x is HTMLElement => x !== null);
function td(v: Node | string, cls?: string): HTMLTableCellElement {
  return el('td', cls ? { class: cls } : {}, v);
}
function fill(tableId: string, rows: HTMLTableRowElement[]): void {
  const tb = $(tableId).querySelector('tbody')!;
  tb.replaceChildren(...rows);
}
function toast(text: string): void {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  window.setTimeout(() => (t.hidden = true), 5000);
}

class Unauthorized extends Error {}

async function api(path: string, init: RequestInit = {}): Promise<Json> {
  const r = await fetch(`/api/v1${path}`, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token ?? ''}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  if (r.status === 401) throw new Unauthorized('unauthorized');
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw Object.assign(new Error(typeof body === 'object' && body?.error ? body.error : `HTTP ${r.status}`), { status: r.status, body });
  return body;
}

// ---------- theme ----------
function applyTheme(t: string | null): void {
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}
applyTheme(localStorage.getItem('bosun.theme'));
$('theme').addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  localStorage.setItem('bosun.theme', next);
  applyTheme(next);
  chart?.redraw();
});

// ---------- login ----------
function showLogin(message = ''): void {
  token = null;
  sessionStorage.removeItem('bosun.token');
  localStorage.removeItem('bosun.token');
  ws?.close();
  for (const p of PAGES) $(p).hidden = true;
  $('login').hidden = false;
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('login-error').textContent = message;
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  token = $<HTMLInputElement>('token').value.trim();
  try {
    await api('/status');
  } catch (err) {
    return showLogin(err instanceof Unauthorized ? 'wrong token' : `cannot reach the daemon: ${(err as Error).message}`);
  }
  (($<HTMLInputElement>('remember').checked ? localStorage : sessionStorage) as Storage).setItem('bosun.token', token);
  $<HTMLInputElement>('token').value = '';
  start();
});
$('logout').addEventListener('click', () => showLogin());

// ---------- navigation ----------
function current(): Page {
  const h = location.hash.slice(1) as Page;
  return PAGES.includes(h) ? h : 'overview';
}
function show(): void {
  if (!token) return;
  const page = current();
  for (const p of PAGES) $(p).hidden = p !== page;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.hash === `#${page}`);
  void refresh(page);
}
window.addEventListener('hashchange', show);

async function refresh(page: Page = current()): Promise<void> {
  try {
    if (page === 'overview') await Promise.all([loadStatus(), loadEquity(), loadRisk()]);
    if (page === 'trades') await loadTrades();
    if (page === 'decisions') await loadDecisions();
    if (page === 'inputs') await loadInputs();
    if (page === 'backtests') await loadBacktests();
    if (page === 'logs') await loadLogs();
    if (page === 'controls') await Promise.all([loadStatus(), loadActions()]);
  } catch (err) {
    if (err instanceof Unauthorized) showLogin('the token was refused; log in again');
    else toast(`could not load ${page}: ${(err as Error).message}`);
  }
}

// ---------- overview ----------
async function loadStatus(): Promise<void> {
  status = await api('/status');
  renderStatus();
}

function renderStatus(): void {
  const s = status;
  if (!s) return;
  $('mode').textContent = `${String(s.daemon.mode).toUpperCase()} · ${s.daemon.environment}`;
  const h = $('health');
  h.textContent = s.health.status;
  h.className = `badge ${s.healthy ? 'ok' : 'bad'}`;
  const reasons = $('reasons');
  reasons.hidden = !s.health.reasons.length;
  reasons.replaceChildren(el('strong', {}, 'degraded'), el('ul', {}, ...s.health.reasons.map((r: string) => el('li', {}, r))));
  if (s.equity) {
    $('s-equity').textContent = num(s.equity.equity);
    $('s-day').replaceChildren(signed(s.equity.dayPnl));
    $('s-week').replaceChildren(signed(s.equity.weekPnl));
    $('s-upnl').replaceChildren(signed(s.equity.unrealizedPnl));
  }
  const r = s.risk;
  $('s-risk').textContent = r.halted ? 'HALTED' : r.paused ? 'paused' : 'trading';
  $('s-risk').className = `value ${r.halted ? 'neg' : r.paused ? '' : 'pos'}`;
  $('control-state').textContent = r.halted ? `halted: ${r.haltReason ?? ''}` : r.paused ? `paused by ${r.pausedBy ?? '?'}` : 'trading: new entries allowed';
  renderPositions(s.positions);
  fill('actors', s.actors.map((a: Json) => el('tr', {},
    td(a.id), td(a.lifecycle, a.lifecycle === 'running' ? 'pos' : 'neg'), td(a.machineState ?? '–'), td(String(a.threadId ?? '–'), 'n'), td(String(a.restarts), 'n'),
    td(a.heartbeatAgeMs === null ? '–' : `${(a.heartbeatAgeMs / 1000).toFixed(1)} s`, 'n'), td(a.rates ? String(a.rates.inPerSec) : '–', 'n'), td(a.rates ? String(a.rates.outPerSec) : '–', 'n'), td(a.heap ? `${(a.heap.used / 1048576).toFixed(0)}/${(a.heap.total / 1048576).toFixed(0)}` : '–', 'n'))));
  const d = s.lastDecision;
  $('last-decision').replaceChildren(d ? el('span', {}, el('span', { class: `verdict ${d.verdict}` }, d.verdict), ` ${d.symbol} · score ${d.score}${d.vetoed ? ' · vetoed' : ''} · ${iso(d.ts)}`) : 'none yet');
  const sel = $<HTMLSelectElement>('fx-symbol');
  if (!sel.options.length) sel.replaceChildren(...s.daemon.symbols.map((x: string) => el('option', {}, x)));
}

function renderPositions(list: Json[]): void {
  $('positions-empty').hidden = list.length > 0;
  fill('positions', list.map((p) => el('tr', { class: 'position' },
    td(p.symbol), td(p.side, p.side === 'long' ? 'pos' : 'neg'), td(px(p.qty), 'n'), td(px(p.entryPrice), 'n'), td(px(p.markPrice), 'n'),
    td(p.stopLoss === null ? 'NONE' : px(p.stopLoss), p.stopLoss === null ? 'n neg' : 'n'),
    td(p.takeProfits.length ? p.takeProfits.map((l: Json) => `${l.leg} ${px(l.price)}${l.qty ? ` × ${px(l.qty)}` : ''}`).join(' · ') : '–'),
    td(signed(p.unrealizedPnl), 'n'), td(iso(p.openedAt)))));
}

async function loadEquity(): Promise<void> {
  const e = await api('/equity?points=1500');
  eq.xs = e.points.map((p: Json) => p.ts / 1000);
  eq.ys = e.points.map((p: Json) => p.equity);
  drawEquity();
}

function drawEquity(): void {
  const box = $('equity-chart');
  $('equity-empty').hidden = eq.xs.length > 0;
  if (!eq.xs.length) return;
  const width = Math.max(280, box.clientWidth || 600);
  if (!chart) {
    const css = getComputedStyle(document.documentElement);
    chart = new uPlot({
      width, height: window.innerWidth < 600 ? 200 : 280,
      scales: { x: { time: true } },
      axes: [{ stroke: css.getPropertyValue('--muted').trim() || '#888' }, { stroke: css.getPropertyValue('--muted').trim() || '#888', size: 70 }],
      series: [{}, { label: 'equity', stroke: css.getPropertyValue('--accent').trim() || '#1f6fb4', width: 1.5 }],
    }, [eq.xs, eq.ys], box);
  } else chart.setData([eq.xs, eq.ys]);
}
window.addEventListener('resize', () => chart?.setSize({ width: Math.max(280, $('equity-chart').clientWidth), height: window.innerWidth < 600 ? 200 : 280 }));

async function loadRisk(): Promise<void> {
  const r = await api('/risk');
  const s = status?.risk;
  const box = $('risk');
  box.replaceChildren(...present(
    el('p', {}, s ? (s.halted ? `HALTED: ${s.haltReason ?? ''}` : s.paused ? `paused by ${s.pausedBy ?? '?'}` : 'trading allowed') : ''),
    s?.cooldownUntil ? el('p', {}, `cooldown until ${iso(s.cooldownUntil)}`) : null,
    r.breakers.length ? el('ul', {}, ...r.breakers.map((b: Json) => el('li', { class: 'neg' }, `${b.code}: ${b.reason} (until ${b.until ? iso(b.until) : 'an operator resumes'})`))) : el('p', { class: 'muted' }, 'no breaker in force'),
  ));
}

// ---------- trades and orders ----------
async function loadTrades(): Promise<void> {
  const [daily, trades, orders] = await Promise.all([api('/pnl?period=day&n=14'), api('/trades?limit=100'), api('/orders?limit=100')]);
  fill('daily', daily.map((d: Json) => el('tr', {}, td(d.start), td(String(d.trades), 'n'), td(String(d.wins), 'n'), td(signed(d.netPnl), 'n'), td(num(d.fees), 'n'))));
  fill('trades-table', trades.map((t: Json) => el('tr', {}, td(iso(t.closedAt)), td(t.symbol), td(t.side), td(px(t.qty), 'n'), td(px(t.entryPrice), 'n'), td(px(t.exitPrice), 'n'), td(signed(t.netPnl), 'n'), td(num(t.fees), 'n'), td(t.exitReason ?? '–'))));
  fill('orders', orders.map((o: Json) => el('tr', {}, td(iso(o.updatedAt)), td(o.symbol), td(o.leg), td(o.side), td(o.type), td(px(o.qty), 'n'), td(px(o.price), 'n'), td(px(o.stopPrice), 'n'), td(o.status), td(px(o.filledQty), 'n'))));
}

// ---------- decisions ----------
function decisionNode(d: Json): HTMLElement {
  const det = el('details', { class: 'decision' });
  det.append(el('summary', {}, el('span', {}, iso(d.ts)), el('span', {}, d.symbol), el('span', { class: `verdict ${d.verdict}` }, d.verdict), el('span', {}, `score ${d.score}`), d.vetoed ? el('span', { class: 'neg' }, `vetoed: ${d.vetoes.map((v: Json) => v.code).join(', ')}`) : null, d.intent ? el('span', { class: 'pos' }, 'traded') : null));
  det.addEventListener('toggle', async () => {
    if (!det.open || det.dataset.loaded) return;
    det.dataset.loaded = '1';
    const full = d.detail ? d : await api(`/decisions/${encodeURIComponent(d.id)}`);
    const votes: Json[] = full.detail?.votes ?? [];
    det.append(...present(
      el('div', { class: 'scroll' }, el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'source'), el('th', { class: 'n' }, 'weight'), el('th', { class: 'n' }, 'direction'), el('th', { class: 'n' }, 'strength'), el('th', { class: 'n' }, 'contribution'), el('th', {}, 'note'))),
        el('tbody', {}, ...votes.map((v) => el('tr', {}, td(v.source), td(num(v.weight, 3), 'n'), td(v.direction === null ? '–' : String(v.direction), 'n'), td(v.strength === null ? '–' : num(v.strength, 3), 'n'), td(num(v.contribution, 4), 'n'), td(v.unavailable ? `unavailable: ${v.unavailable}` : (v.note ?? ''))))))),
      full.vetoes.length ? el('p', {}, `vetoes: ${full.vetoes.map((v: Json) => `${v.code}${v.detail ? ` (${v.detail})` : ''}`).join('; ')}`) : null,
      full.detail?.gates?.length ? el('p', { class: 'muted' }, `gates: ${full.detail.gates.join(' · ')}`) : null,
      full.intent ? el('p', {}, `intent: ${JSON.stringify(full.intent)}`) : null,
      el('pre', {}, full.reasoning),
    ));
  });
  return det;
}

async function loadDecisions(): Promise<void> {
  const list = await api(`/decisions?limit=100${$<HTMLInputElement>('traded-only').checked ? '&traded=true' : ''}`);
  $('decision-list').replaceChildren(...(list.length ? list.map(decisionNode) : [el('p', { class: 'muted' }, 'no decision yet')]));
}
$('traded-only').addEventListener('change', () => void loadDecisions());

// ---------- manual inputs ----------
async function loadInputs(): Promise<void> {
  const rows = await api('/manual-inputs?limit=50');
  fill('manual', rows.map((r: Json) => el('tr', {}, td(String(r.id)), td(r.kind), td(iso(r.asOf)), td(iso(r.receivedAt)),
    td(r.kind === 'sentiment' ? String(r.payload.score) : r.kind === 'etf_flow' ? `${num(r.payload.totalNetFlowUsd, 0)} USD` : `${r.payload.clusters?.length ?? 0} clusters`), td(r.comment ?? '', 'wrap'))));
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-kind]')) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const kind = form.dataset.kind!;
    const issues = form.querySelector('.issues')!;
    const ok = form.querySelector('.ok')!;
    issues.replaceChildren();
    ok.textContent = '';
    let body: unknown;
    try {
      if (kind === 'sentiment') {
        const fd = new FormData(form);
        body = { score: Number(fd.get('score')), comment: String(fd.get('comment') ?? '') };
      } else {
        const file = (form.elements.namedItem('file') as HTMLInputElement).files?.[0];
        const text = file ? await file.text() : (form.elements.namedItem('json') as HTMLTextAreaElement).value;
        body = JSON.parse(text);
      }
    } catch (err) {
      issues.append(el('li', {}, `not valid JSON: ${(err as Error).message}`));
      return;
    }
    try {
      const r = await api(`/inputs/${kind}`, { method: 'POST', body: JSON.stringify(body) });
      ok.textContent = `stored #${r.id}, counts until ${iso(r.countsUntil)}${r.stale ? ' (already too old: it will not count)' : ''}`;
      form.reset();
      await loadInputs();
    } catch (err) {
      const b = (err as { body?: Json }).body;
      const list: Json[] = b?.issues ?? [{ path: '', message: (err as Error).message }];
      issues.replaceChildren(el('li', {}, 'rejected, nothing was written:'), ...list.map((i) => el('li', {}, `${String(i.path).replace(/^body\.?/, '') || '(document)'}: ${i.message}`)));
    }
  });
}

// ---------- backtests ----------
async function loadBacktests(): Promise<void> {
  const runs = await api('/backtests?limit=100');
  $('bt-empty').hidden = runs.length > 0;
  fill('bt', runs.map((b: Json) => {
    const open = el('button', { title: 'open the HTML report' }, 'report');
    open.addEventListener('click', async () => {
      const tab = window.open('about:blank', '_blank');
      try {
        const l = await api(`/backtests/${b.id}/link`);
        if (tab) tab.location.href = l.url;
      } catch (err) {
        tab?.close();
        toast(`report: ${(err as Error).message}`);
      }
    });
    return el('tr', {}, td(String(b.id)), td(iso(b.createdAt)), td(b.strategy), td(b.symbol), td(`${iso(b.dataFrom).slice(0, 10)} → ${iso(b.dataTo).slice(0, 10)}`), td(String(b.trades), 'n'), td(signed(b.netPnl), 'n'),
      td(b.profitFactor === null ? '–' : num(b.profitFactor), 'n'), td(pct(b.winRate), 'n'), td(pct(b.maxDrawdown), 'n'), td(open));
  }));
}

// ---------- logs and alerts ----------
async function loadLogs(): Promise<void> {
  const [n, logs] = await Promise.all([api('/notifications?limit=100'), api('/logs?limit=200')]);
  $('backlog').textContent = `undelivered: ${n.backlog.pending}${n.backlog.lastSentAt ? ` · last sent ${iso(n.backlog.lastSentAt)}` : ''}`;
  fill('alerts', n.rows.map(alertRow));
  fill('log-table', logs.map((l: Json) => el('tr', {}, td(iso(l.ts)), td(l.level, l.level === 'warn' ? '' : 'neg'), td(l.actor), td(l.msg, 'wrap'))));
}
const alertRow = (a: Json) => el('tr', {}, td(iso(a.wallTs ?? a.ts)), td(a.severity, a.severity === 'info' ? '' : 'neg'), td(a.code), td(a.text, 'wrap'), td(a.status));

// ---------- controls ----------
const ACTION_TEXT: Record<string, string> = {
  pause: 'Pause: no new entries; stops and take-profits stay active.',
  resume: 'Resume: allow new entries again (also releases the kill switch).',
  flatten: 'Flatten: cancel entries and close EVERY position at market.',
  'force-exit': 'Force exit: close this symbol\'s position at market.',
  'kill-switch': 'Kill switch: pause, close every position at market and halt until resumed.',
};
let pending: { action: string; symbol?: string } | null = null;

for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
  b.addEventListener('click', () => {
    const action = b.dataset.action!;
    pending = { action, ...(action === 'force-exit' ? { symbol: $<HTMLSelectElement>('fx-symbol').value } : {}) };
    $('confirm-text').textContent = `${ACTION_TEXT[action]}${pending.symbol ? ` (${pending.symbol})` : ''} Confirm?`;
    $('confirm-reason-row').hidden = action !== 'kill-switch' && action !== 'pause';
    $('confirm').hidden = false;
  });
}
$('confirm-no').addEventListener('click', () => {
  pending = null;
  $('confirm').hidden = true;
});
$('confirm-yes').addEventListener('click', async () => {
  if (!pending) return;
  const { action, symbol } = pending;
  pending = null;
  $('confirm').hidden = true;
  const reason = $<HTMLInputElement>('confirm-reason').value.trim();
  const body: Record<string, unknown> = {};
  if (action === 'flatten' || action === 'kill-switch' || action === 'force-exit') body.confirm = true;
  if (symbol) body.symbol = symbol;
  if (reason && (action === 'kill-switch' || action === 'pause')) body.reason = reason;
  $('action-result').textContent = `${action}…`;
  try {
    const r = await api(`/actions/${action}`, { method: 'POST', body: JSON.stringify(body) });
    $('action-result').textContent = `${action} ${r.ok ? 'done' : 'INCOMPLETE'} by ${r.by}${r.recorded ? '' : ' (not recorded: the database is unreachable)'}`;
  } catch (err) {
    $('action-result').textContent = `${action} failed: ${(err as Error).message}`;
  }
  await Promise.all([loadStatus(), loadActions()]).catch(() => undefined);
});

async function loadActions(): Promise<void> {
  const rows = await api('/operator-actions?limit=50');
  fill('actions', rows.map((a: Json) => el('tr', {}, td(iso(a.ts)), td(a.action), td(a.by), td(a.source), td(a.status, a.status === 'ok' ? 'pos' : a.status === 'failed' ? 'neg' : ''))));
}

// ---------- live ----------
function connect(): void {
  if (!token) return;
  const sock = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`);
  ws = sock;
  const badge = $('live');
  sock.addEventListener('open', () => sock.send(JSON.stringify({ type: 'auth', token })));
  sock.addEventListener('message', (m) => {
    const e = JSON.parse(String(m.data)) as { type: string; data: Json };
    if (e.type === 'hello') {
      badge.textContent = 'live';
      badge.className = 'badge ok';
    } else if (e.type === 'equity') {
      eq.xs.push(e.data.ts / 1000);
      eq.ys.push(e.data.equity);
      if (current() === 'overview') drawEquity();
      $('s-equity').textContent = num(e.data.equity);
      $('s-upnl').replaceChildren(signed(e.data.unrealizedPnl));
    } else if (e.type === 'positions') {
      if (status) status.positions = e.data;
      renderPositions(e.data);
    } else if (e.type === 'candle') {
      prices.set(e.data.symbol, { close: e.data.close, t: e.data.openTime });
      $('prices').replaceChildren(...[...prices].map(([s, p]) => el('div', {}, `${s} ${p.close} (${iso(p.t).slice(11, 16)})`)));
    } else if (e.type === 'decision') {
      $('last-decision').replaceChildren(el('span', {}, el('span', { class: `verdict ${e.data.verdict}` }, e.data.verdict), ` ${e.data.symbol} · score ${e.data.score}${e.data.vetoed ? ' · vetoed' : ''} · ${iso(e.data.ts)}`));
      if (current() === 'decisions') $('decision-list').prepend(decisionNode({ ...e.data, vetoes: [] , detail: null }));
    } else if (e.type === 'alert') {
      if (e.data.severity !== 'info') toast(`${e.data.code}: ${e.data.text}`);
      if (current() === 'logs') $('alerts').querySelector('tbody')!.prepend(alertRow(e.data));
    } else if ((e.type === 'order' || e.type === 'fill') && current() === 'trades') void loadTrades().catch(() => undefined);
  });
  sock.addEventListener('close', (ev) => {
    badge.textContent = 'offline';
    badge.className = 'badge off';
    if (ev.code === 4401) return showLogin('the live feed refused the token; log in again');
    if (ws === sock && token) window.setTimeout(connect, 3000);
  });
}

let poller: number | null = null;
function start(): void {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  show();
  connect();
  if (poller !== null) window.clearInterval(poller);
  poller = window.setInterval(() => {
    if (token && (current() === 'overview' || current() === 'controls')) void loadStatus().catch((err) => err instanceof Unauthorized && showLogin('the token was refused; log in again'));
  }, 5000);
}

if (token) start();
else showLogin();
