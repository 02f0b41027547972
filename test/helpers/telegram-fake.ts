// A loopback fake of the Telegram Bot API: POST /bot<token>/<method> with form-encoded bodies, exactly as
// node-telegram-bot-api 2.x sends them (it refuses anything else). Implements getMe, sendMessage and long-polling
// getUpdates with offsets; can go down (connections refused) and come back on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SentMessage {
  chatId: string;
  text: string;
  at: number;
}

export interface FakeMessageUpdate {
  update_id: number;
  message: { message_id: number; date: number; chat: { id: number; type: string }; from: { id: number; is_bot: false; first_name: string; username?: string }; text: string };
}

export class FakeTelegram {
  readonly sent: SentMessage[] = [];
  /** Every request's method and content type, to check the wire format. */
  readonly requests: Array<{ method: string; contentType: string }> = [];
  /** Errors the next sendMessage calls answer with, in order (Telegram's error envelope). */
  readonly failSends: Array<{ code: number; description: string; retryAfter?: number }> = [];
  /** The next this many sendMessage calls are accepted (the message is in `sent`) but never answered: the answer is lost. */
  loseAnswers = 0;
  /** Highest offset a getUpdates call confirmed (updates below it are gone). */
  confirmed = 0;
  private updates: FakeMessageUpdate[] = [];
  private nextUpdate = 1;
  private nextMessage = 1;
  private waiters: Array<() => void> = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(readonly token: string) {}

  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get up(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: the port refuses connections and open ones (a held long poll) are cut. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const sock of this.sockets) sock.destroy();
    this.wake();
    await closed;
  }

  /** A user writes `text` in chat `chatId`. */
  pushMessage(chatId: number, text: string, username?: string): number {
    const id = this.nextUpdate++;
    this.updates.push({
      update_id: id,
      message: { message_id: this.nextMessage++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' }, from: { id: Math.abs(chatId), is_bot: false, first_name: 'op', ...(username ? { username } : {}) }, text },
    });
    this.wake();
    return id;
  }

  sentTo(chatId: number | string): SentMessage[] {
    return this.sent.filter((m) => m.chatId === String(chatId));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !m) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m;
    const contentType = String(req.headers['content-type'] ?? '');
    this.requests.push({ method: method!, contentType });
    if (token !== this.token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    if (contentType !== 'application/x-www-form-urlencoded') return reply(400, { ok: false, error_code: 400, description: `Bad Request: unexpected content type ${contentType}` });
    const p = new URLSearchParams(raw);
    switch (method) {
      case 'getMe':
        return reply(200, { ok: true, result: { id: 42, is_bot: true, first_name: 'bosun', username: 'bosun_bot' } });
      case 'sendMessage': {
        const fail = this.failSends.shift();
        if (fail) return reply(fail.code, { ok: false, error_code: fail.code, description: fail.description, ...(fail.retryAfter ? { parameters: { retry_after: fail.retryAfter } } : {}) });
        const chatId = p.get('chat_id');
        const text = p.get('text');
        if (!chatId || !text) return reply(400, { ok: false, error_code: 400, description: 'Bad Request: chat_id and text are required' });
        const lp = p.get('link_preview_options');
        if (lp !== null) JSON.parse(lp); // structured fields arrive as JSON strings
        this.sent.push({ chatId, text, at: Date.now() });
        if (this.loseAnswers > 0) {
          this.loseAnswers--;
          return; // accepted, shown to the chat, and no answer ever comes back (cut when the fake stops)
        }
        return reply(200, { ok: true, result: { message_id: this.nextMessage++, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: 'private' }, text } });
      }
      case 'getUpdates': {
        const offset = Number(p.get('offset') ?? 0);
        const timeout = Math.min(Number(p.get('timeout') ?? 0), 5);
        if (offset > 0) {
          this.confirmed = Math.max(this.confirmed, offset);
          this.updates = this.updates.filter((u) => u.update_id >= offset);
        }
        if (!this.updates.length && timeout > 0) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, timeout * 1000);
            this.waiters.push(() => (clearTimeout(t), r()));
          });
        }
        return reply(200, { ok: true, result: this.updates.slice(0, Number(p.get('limit') ?? 100)) });
      }
      default:
        return reply(404, { ok: false, error_code: 404, description: `Not Found: method ${method}` });
    }
  }
}
