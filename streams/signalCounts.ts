import { defer, map, type OperatorFunction } from 'rxjs';
import type { SignalEvent } from '../events/types';

/** Confirmed signals are the ones strategies act on; unconfirmed ones are the false signals volume removes. */
export interface SignalTally {
  confirmed: number;
  unconfirmed: number;
}

export type SignalCounts = Record<string, SignalTally>;

/** Counts signals per symbol. */
export class SignalCounter {
  private readonly bySymbol = new Map<string, SignalTally>();

  add(signal: SignalEvent): void {
    let t = this.bySymbol.get(signal.symbol);
    if (t === undefined) this.bySymbol.set(signal.symbol, (t = { confirmed: 0, unconfirmed: 0 }));
    if (signal.confirmed) t.confirmed++;
    else t.unconfirmed++;
  }

  /** A copy of the counts, symbols in alphabetical order. */
  snapshot(): SignalCounts {
    const out: SignalCounts = {};
    for (const symbol of [...this.bySymbol.keys()].sort()) out[symbol] = { ...this.bySymbol.get(symbol)! };
    return out;
  }
}

/** The running counts after each signal. Fresh state per subscription. */
export function signalCounts(): OperatorFunction<SignalEvent, SignalCounts> {
  return (source) =>
    defer(() => {
      const counter = new SignalCounter();
      return source.pipe(
        map((signal) => {
          counter.add(signal);
          return counter.snapshot();
        }),
      );
    });
}
