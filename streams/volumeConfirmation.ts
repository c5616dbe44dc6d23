import { defer, map, type OperatorFunction } from 'rxjs';
import type { TradeEvent } from '../events/types';

export interface VolumeParams {
  /** Trade quantities kept per symbol. */
  volumeWindow: number;
  /** Quantities averaged: the newest N, including the current trade. */
  volumeAverageOf: number;
  /** Confirmed when qty >= multiplier x average. */
  volumeMultiplier: number;
}

/**
 * The last `volumeWindow` trade quantities of one symbol in a fixed ring. The average is summed
 * oldest to newest over the newest `volumeAverageOf` quantities on demand (only signal trades need
 * it), so it is exact for those values rather than a drifting running sum.
 */
export class VolumeWindow {
  private readonly qtys: Float64Array;
  private next = 0;
  private count = 0;

  constructor(private readonly params: VolumeParams) {
    if (params.volumeAverageOf > params.volumeWindow) throw new Error('volumeAverageOf must not exceed volumeWindow');
    this.qtys = new Float64Array(params.volumeWindow);
  }

  push(qty: number): void {
    this.qtys[this.next] = qty;
    this.next = (this.next + 1) % this.qtys.length;
    if (this.count < this.qtys.length) this.count++;
  }

  /** Quantities pushed so far, up to the window size. */
  get length(): number {
    return this.count;
  }

  /** Average of the newest `volumeAverageOf` quantities, or null before that many exist. */
  average(): number | null {
    const n = this.params.volumeAverageOf;
    if (this.count < n) return null;
    const size = this.qtys.length;
    let sum = 0;
    for (let k = n; k >= 1; k--) sum += this.qtys[(this.next - k + size) % size];
    return sum / n;
  }

  /** Whether `qty` (the newest pushed) is at least `volumeMultiplier` times `average`. */
  confirms(qty: number, average: number | null): boolean {
    return average !== null && qty >= this.params.volumeMultiplier * average;
  }
}

export interface VolumeCheck {
  trade: TradeEvent;
  /** Null before `volumeAverageOf` trades of the symbol exist. */
  avgQty: number | null;
  confirmed: boolean;
}

/** Each trade with its volume confirmation, per symbol. Fresh state per subscription. */
export function volumeConfirmation(params: VolumeParams): OperatorFunction<TradeEvent, VolumeCheck> {
  return (source) =>
    defer(() => {
      const windows = new Map<string, VolumeWindow>();
      return source.pipe(
        map((trade) => {
          let w = windows.get(trade.symbol);
          if (w === undefined) windows.set(trade.symbol, (w = new VolumeWindow(params)));
          const qty = Number(trade.qty);
          w.push(qty);
          const avgQty = w.average();
          return { trade, avgQty, confirmed: w.confirms(qty, avgQty) };
        }),
      );
    });
}
