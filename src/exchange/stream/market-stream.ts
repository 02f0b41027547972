// WebSocket client for Binance combined market streams (aggTrade, kline_1m, bookTicker or depth5, markPrice@1s, forceOrder).
// Guarantees: every frame is validated (malformed ones are counted and dropped, never thrown); events and the close
// of one connection are delivered once and never mixed with a later connection's.
import WebSocket from 'ws';
import { lockstepWork } from '../../clock/lockstep.js';
import { parseMarketFrame, type MarketEvent } from './frames.js';

export interface MarketStreamOptions {
  wsBase: string;
  /** Venue symbol ids, e.g. BTCUSDT. */
  symbols: string[];
  book: 'bookTicker' | 'depth5';
  onOpen(): void;
  onEvent(e: MarketEvent): void;
  onClose(reason: string): void;
  onMalformed?(error: string, frame: string): void;
}

export const streamNames = (symbols: string[], book: 'bookTicker' | 'depth5'): string[] =>
  symbols.flatMap((s) => {
    const x = s.toLowerCase();
    return [`${x}@aggTrade`, `${x}@kline_1m`, book === 'depth5' ? `${x}@depth5@100ms` : `${x}@bookTicker`, `${x}@markPrice@1s`, `${x}@forceOrder`];
  });

export class MarketStream {
  private ws: WebSocket | null = null;
  private conn = 0;
  readonly counters = { connects: 0, frames: 0, events: 0, malformed: 0, ignored: 0 };
  lastMalformed: string | null = null;

  constructor(private readonly o: MarketStreamOptions) {}

  get url(): string {
    return `${this.o.wsBase}/stream?streams=${streamNames(this.o.symbols, this.o.book).join('/')}`;
  }

  /** Opens a new connection (closing any previous one without reporting it). */
  connect(): void {
    this.drop();
    const id = ++this.conn;
    const ws = new WebSocket(this.url, { handshakeTimeout: 10_000 });
    this.ws = ws;
    this.counters.connects++;
    let closed = false;
    // A lockstep replay waits for the connection to open (or fail); each frame the venue counted is lowered once handled.
    const opening = lockstepWork.hold();
    const close = (reason: string) => {
      opening();
      if (closed || id !== this.conn) return;
      closed = true;
      this.o.onClose(reason);
    };
    ws.on('open', () => {
      opening();
      if (id === this.conn) this.o.onOpen();
    });
    ws.on('message', (data) => {
      try {
        if (id === this.conn) this.handle(data.toString());
      } finally {
        lockstepWork.endSoon();
      }
    });
    ws.on('close', (code, reason) => close(`closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
    ws.on('error', (err) => close(`error: ${err.message}`));
  }

  /** Parses, validates and delivers one frame (public for the benchmark). */
  handle(text: string): void {
    this.counters.frames++;
    const r = parseMarketFrame(text);
    if (r.ok) {
      this.counters.events++;
      this.o.onEvent(r.event);
    } else if (r.ignored) this.counters.ignored++;
    else {
      this.counters.malformed++;
      this.lastMalformed = r.error;
      this.o.onMalformed?.(r.error, text.slice(0, 200));
    }
  }

  /** Closes the current connection; its close is not reported (the caller asked for it). */
  drop(): void {
    const ws = this.ws;
    this.ws = null;
    this.conn++;
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }
}
