// Volume at price over a rolling window of minutes and its point of control (seed 004 volume_profile): from trades for a
// minute that had trades, else from that minute's 1m candle (its volume spread evenly over its low–high range).
// Guarantees plain data only (structured-clone safe), bounded work per candle and trade, and a null POC until any volume.

export interface VolumeProfileParams {
  /** Minutes of history in the profile. */
  windowMinutes: number;
  /** Width of a price bin as a fraction of price (bins are even in log price, so the same at any price level). */
  binPct: number;
}

/** One minute's volume: bin indexes and their volumes, side by side. */
interface Minute {
  minute: number;
  bins: number[];
  vols: number[];
}

/** Bin of `price` for bins of relative width `binPct` (log-spaced). */
export const binOf = (price: number, binPct: number): number => Math.floor(Math.log(price) / Math.log1p(binPct));
/** Middle price of bin `i`. */
export const binMid = (i: number, binPct: number): number => Math.exp((i + 0.5) * Math.log1p(binPct));

/** Spreads `volume` evenly over the bins from `low` to `high` (each bin gets its share of the log range it covers). */
export function spreadCandle(out: Minute, low: number, high: number, volume: number, binPct: number): void {
  if (!(volume > 0) || !(low > 0) || !(high >= low)) return;
  const step = Math.log1p(binPct);
  const a = Math.log(low);
  const b = Math.log(high);
  const lo = Math.floor(a / step);
  const hi = Math.floor(b / step);
  if (lo === hi || b === a) {
    out.bins.push(lo);
    out.vols.push(volume);
    return;
  }
  for (let i = lo; i <= hi; i++) {
    const share = (Math.min(b, (i + 1) * step) - Math.max(a, i * step)) / (b - a);
    if (share > 0) {
      out.bins.push(i);
      out.vols.push(volume * share);
    }
  }
}

export class VolumeProfile {
  /** Minutes in the window, oldest first, from index `head` (evicted ones are dropped in batches). */
  minutes: Minute[] = [];
  head = 0;
  /** Σ of the window's minutes, by bin. */
  total = new Map<number, number>();
  /** Trades of minutes whose candle has not closed yet: minute → bins. */
  pendingTrades = new Map<number, Map<number, number>>();

  constructor(readonly p: VolumeProfileParams) {}

  onTrade(ts: number, price: number, qty: number): void {
    if (!(price > 0) || !(qty > 0)) return;
    const minute = Math.floor(ts / 60_000) * 60_000;
    let bins = this.pendingTrades.get(minute);
    if (!bins) this.pendingTrades.set(minute, (bins = new Map()));
    const i = binOf(price, this.p.binPct);
    bins.set(i, (bins.get(i) ?? 0) + qty);
  }

  /** A closed 1m candle: its minute enters the profile, from its trades when there were any, else from the candle. */
  onCandle(openTime: number, low: number, high: number, volume: number): void {
    const m: Minute = { minute: openTime, bins: [], vols: [] };
    if (this.pendingTrades.size) {
      const traded = this.pendingTrades.get(openTime);
      for (const k of [...this.pendingTrades.keys()]) if (k <= openTime) this.pendingTrades.delete(k);
      if (traded) for (const [i, v] of traded) (m.bins.push(i), m.vols.push(v));
    }
    if (!m.bins.length) spreadCandle(m, low, high, volume, this.p.binPct);
    this.minutes.push(m);
    for (let k = 0; k < m.bins.length; k++) this.total.set(m.bins[k]!, (this.total.get(m.bins[k]!) ?? 0) + m.vols[k]!);
    const oldest = openTime - (this.p.windowMinutes - 1) * 60_000;
    while (this.head < this.minutes.length && this.minutes[this.head]!.minute < oldest) {
      const gone = this.minutes[this.head++]!;
      for (let k = 0; k < gone.bins.length; k++) {
        const i = gone.bins[k]!;
        const left = (this.total.get(i) ?? 0) - gone.vols[k]!;
        if (left > 1e-9 * Math.abs(gone.vols[k]!) && left > 0) this.total.set(i, left);
        else this.total.delete(i);
      }
    }
    if (this.head >= 1024 && this.head * 2 >= this.minutes.length) {
      this.minutes = this.minutes.slice(this.head);
      this.head = 0;
    }
  }

  /** Price of the bin with the most volume (ties: the lower bin), null without volume. */
  get poc(): number | null {
    let best: number | null = null;
    let vol = 0;
    for (const [i, v] of this.total) if (v > vol || (v === vol && best !== null && i < best)) [best, vol] = [i, v];
    return best === null || !(vol > 0) ? null : binMid(best, this.p.binPct);
  }
}
