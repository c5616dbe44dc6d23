/**
 * Signals waiting for their horizon, in deadline order: (deadline, the signal's price, a tag) in
 * growable typed-array rings, so a waiting judgement is no object (thousands wait at once for the
 * end of a 15-minute window; as objects they outlived young-generation collections).
 */
export class JudgementQueue {
  private deadlines = new Float64Array(16);
  private prices = new Float64Array(16);
  /** Bit 0: bullish; the other bits are the caller's. */
  private tags = new Uint8Array(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** The earliest deadline waiting, or Infinity. */
  get firstDeadline(): number {
    return this.size > 0 ? this.deadlines[this.head] : Infinity;
  }

  /** Deadlines must come in ascending order (signals in time order, one horizon per queue). */
  push(deadline: number, price: number, tag: number): void {
    if (this.size === this.deadlines.length) this.grow();
    const i = (this.head + this.size) & (this.deadlines.length - 1);
    this.deadlines[i] = deadline;
    this.prices[i] = price;
    this.tags[i] = tag;
    this.size++;
  }

  /**
   * Judges, oldest first, every judgement whose deadline is before `ts` on `later` (the last price
   * before `ts`): wrong when the price went against the signal (lower after a bullish one, higher
   * after a bearish one).
   */
  judgeBefore(ts: number, later: number, judged: (tag: number, wrong: boolean) => void): void {
    const mask = this.deadlines.length - 1;
    while (this.size > 0 && this.deadlines[this.head] < ts) {
      const price = this.prices[this.head];
      const tag = this.tags[this.head];
      this.head = (this.head + 1) & mask;
      this.size--;
      judged(tag, (tag & 1) === 1 ? later < price : later > price);
    }
  }

  /** Empties the queue, oldest first (the judgements the data ended before). */
  drain(left: (tag: number) => void): void {
    const mask = this.deadlines.length - 1;
    for (; this.size > 0; this.size--) {
      left(this.tags[this.head]);
      this.head = (this.head + 1) & mask;
    }
  }

  /** Doubles the rings (their length stays a power of two), oldest entry first. */
  private grow(): void {
    const n = this.deadlines.length;
    const deadlines = new Float64Array(n * 2);
    const prices = new Float64Array(n * 2);
    const tags = new Uint8Array(n * 2);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (n - 1);
      deadlines[k] = this.deadlines[i];
      prices[k] = this.prices[i];
      tags[k] = this.tags[i];
    }
    this.deadlines = deadlines;
    this.prices = prices;
    this.tags = tags;
    this.head = 0;
  }
}
