import type { SignalEvent, TradeEvent } from '../../events/types';
import { JudgementQueue } from './judgementQueue';
import { BySymbol } from './bySymbol';

export interface QualityCounts {
  count: number;
  falseSignals: number;
  unevaluated: number;
}

/** A waiting signal's tag: bit 0 bullish, bit 1 confirmed. */
const BULLISH = 1;
const CONFIRMED = 2;

/** One symbol: its signals waiting for their horizon, oldest first, and its last trade price (as the trade wrote it). */
interface SymbolState {
  pending: JudgementQueue;
  lastPrice: string | null;
}

/**
 * Signal quality, judged after the fact (for reports, never for trading): a signal is false when
 * the last trade price at or before `signal.ts + horizonMs` is on the wrong side of the signal's
 * price (lower after a bullish signal, higher after a bearish one). Fed with every trade and signal
 * in log order; bounded by the signals still inside their horizon.
 */
export class SignalQuality {
  private readonly symbols = new BySymbol<SymbolState>();
  readonly confirmed: QualityCounts = { count: 0, falseSignals: 0, unevaluated: 0 };
  readonly unconfirmed: QualityCounts = { count: 0, falseSignals: 0, unevaluated: 0 };
  private readonly judged = (tag: number, wrong: boolean): void => {
    if (wrong) this.countsOf(tag).falseSignals++;
  };
  private readonly unevaluated = (tag: number): void => {
    this.countsOf(tag).unevaluated++;
  };

  constructor(readonly horizonMs: number) {}

  onTrade(trade: TradeEvent): void {
    const s = this.symbolState(trade.symbol);
    // Every signal whose horizon ended before this trade is judged on the price before it.
    if (s.pending.firstDeadline < trade.ts) s.pending.judgeBefore(trade.ts, Number(s.lastPrice), this.judged);
    s.lastPrice = trade.price;
  }

  onSignal(signal: SignalEvent): void {
    const counts = signal.confirmed ? this.confirmed : this.unconfirmed;
    counts.count++;
    const tag = (signal.direction === 'bullish' ? BULLISH : 0) | (signal.confirmed ? CONFIRMED : 0);
    this.symbolState(signal.symbol).pending.push(signal.ts + this.horizonMs, Number(signal.price), tag);
  }

  /** Signals still open at the end of the data cannot be judged. */
  finish(): void {
    for (const { pending } of this.symbols.values()) pending.drain(this.unevaluated);
  }

  private symbolState(symbol: string): SymbolState {
    return this.symbols.get(symbol, newSymbol);
  }

  private countsOf(tag: number): QualityCounts {
    return (tag & CONFIRMED) !== 0 ? this.confirmed : this.unconfirmed;
  }
}

export function falseSignalRate(q: QualityCounts): number | null {
  const judged = q.count - q.unevaluated;
  return judged > 0 ? q.falseSignals / judged : null;
}

function newSymbol(): SymbolState {
  return { pending: new JudgementQueue(), lastPrice: null };
}
