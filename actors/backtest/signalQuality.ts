import type { SignalEvent, TradeEvent } from '../../events/types';

export interface QualityCounts {
  count: number;
  falseSignals: number;
  unevaluated: number;
}

interface Pending {
  signal: SignalEvent;
  price: number;
}

/** One symbol: its signals waiting for their horizon, oldest first, and its last trade price (as the trade wrote it). */
interface SymbolState {
  pending: Pending[];
  lastPrice: string | null;
}

/**
 * Signal quality, judged after the fact (for reports, never for trading): a signal is false when
 * the last trade price at or before `signal.ts + horizonMs` is on the wrong side of the signal's
 * price (lower after a bullish signal, higher after a bearish one). Fed with every trade and signal
 * in log order; bounded by the signals still inside their horizon.
 */
export class SignalQuality {
  private readonly symbols = new Map<string, SymbolState>();
  private lastSymbol: string | null = null;
  private last: SymbolState | null = null;
  readonly confirmed: QualityCounts = { count: 0, falseSignals: 0, unevaluated: 0 };
  readonly unconfirmed: QualityCounts = { count: 0, falseSignals: 0, unevaluated: 0 };

  constructor(readonly horizonMs: number) {}

  onTrade(trade: TradeEvent): void {
    const s = this.symbolState(trade.symbol);
    const list = s.pending;
    if (list.length > 0 && list[0].signal.ts + this.horizonMs < trade.ts) {
      // Every signal whose horizon ended before this trade is judged on the price before it.
      const before = Number(s.lastPrice);
      while (list.length > 0 && list[0].signal.ts + this.horizonMs < trade.ts) this.judge(list.shift()!, before);
    }
    s.lastPrice = trade.price;
  }

  onSignal(signal: SignalEvent): void {
    const counts = signal.confirmed ? this.confirmed : this.unconfirmed;
    counts.count++;
    this.symbolState(signal.symbol).pending.push({ signal, price: Number(signal.price) });
  }

  /** Signals still open at the end of the data cannot be judged. */
  finish(): void {
    for (const { pending } of this.symbols.values()) {
      for (const p of pending) (p.signal.confirmed ? this.confirmed : this.unconfirmed).unevaluated++;
      pending.length = 0;
    }
  }

  /** A symbol's state; the last one asked for is at hand without a lookup (trades of one symbol come in runs). */
  private symbolState(symbol: string): SymbolState {
    if (symbol === this.lastSymbol && this.last !== null) return this.last;
    let s = this.symbols.get(symbol);
    if (s === undefined) this.symbols.set(symbol, (s = { pending: [], lastPrice: null }));
    this.lastSymbol = symbol;
    this.last = s;
    return s;
  }

  private judge(p: Pending, later: number): void {
    const adverse = p.signal.direction === 'bullish' ? later < p.price : later > p.price;
    if (adverse) (p.signal.confirmed ? this.confirmed : this.unconfirmed).falseSignals++;
  }
}

export function falseSignalRate(q: QualityCounts): number | null {
  const judged = q.count - q.unevaluated;
  return judged > 0 ? q.falseSignals / judged : null;
}
