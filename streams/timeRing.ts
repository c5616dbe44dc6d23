/**
 * A FIFO of (time, value) pairs in two growable typed-array rings. It grows by doubling when full
 * and never shrinks, so its size is bounded by the most entries it ever held at once (for a time
 * window: the peak trade rate times the window). Callers drop old entries with `shift()`.
 */
export class TimeRing {
  private times: Float64Array;
  private values: Float64Array;
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 64) {
    const capacity = Math.max(2, initialCapacity);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Slots allocated (for memory checks). */
  get capacity(): number {
    return this.times.length;
  }

  push(time: number, value: number): void {
    if (this.size === this.times.length) this.grow();
    const i = (this.head + this.size) % this.times.length;
    this.times[i] = time;
    this.values[i] = value;
    this.size++;
  }

  /** Drops the oldest entry. */
  shift(): void {
    if (this.size === 0) return;
    this.head = (this.head + 1) % this.times.length;
    this.size--;
  }

  /** Time of the i-th oldest entry (0 = oldest). */
  timeAt(i: number): number {
    return this.times[(this.head + i) % this.times.length];
  }

  valueAt(i: number): number {
    return this.values[(this.head + i) % this.values.length];
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    for (let k = 0; k < this.size; k++) {
      times[k] = this.timeAt(k);
      values[k] = this.valueAt(k);
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}
