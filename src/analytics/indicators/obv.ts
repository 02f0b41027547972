// On-balance volume: running sum of volume signed by the close-to-close direction, O(1) per update.
// Guarantees 0 on the first bar (no previous close); unchanged on an unchanged close.
export class Obv {
  private prevClose: number | null = null;
  value: number | null = null;

  update(close: number, volume: number): number {
    if (this.prevClose === null) this.value = 0;
    else if (close > this.prevClose) this.value = this.value! + volume;
    else if (close < this.prevClose) this.value = this.value! - volume;
    this.prevClose = close;
    return this.value!;
  }
}
