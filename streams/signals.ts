import { Observable, type OperatorFunction } from 'rxjs';
import { eventVersion, tradeMarketKey, type SignalEvent, type TradeEvent } from '../events/types';
import { decimalNumber } from './decimalNumber';
import { PriceChangeWindow, type PriceChangeParams } from './priceChange';
import { VolumeWindow, type VolumeParams } from './volumeConfirmation';

/** The `signals` section of the config, passed in (streams/ does not read config). */
export interface SignalParams extends PriceChangeParams, VolumeParams {
  /** |change| strictly above this makes a signal. */
  threshold: number;
}

interface SymbolWindows {
  change: PriceChangeWindow;
  volume: VolumeWindow;
}

const SIGNAL_VERSION = eventVersion('signal');

/**
 * The pure stateful core of the signal pipeline, per symbol, by event time: one call per trade,
 * a `signal` derived event when the trade's windowed price change exceeds the threshold in size.
 * Plain numbers per trade (no big.js); memory bounded per symbol by the windows.
 */
export class SignalDetector {
  private readonly bySymbol = new Map<string, SymbolWindows>();
  /** The windows of the last spot trade's symbol. */
  private lastSymbol: string | null = null;
  private last: SymbolWindows | null = null;

  constructor(private readonly params: SignalParams) {}

  onTrade(trade: TradeEvent): SignalEvent | null {
    return this.onTradeValues(trade, decimalNumber(trade.price), decimalNumber(trade.qty));
  }

  /**
   * `onTrade` for a trade whose price and quantity the caller has as numbers already (`price` must be
   * `Number(trade.price)`, `qty` `Number(trade.qty)`: a columnar cache has them exactly).
   */
  onTradeValues(trade: TradeEvent, price: number, qty: number): SignalEvent | null {
    // A symbol's spot and futures trades are two markets: one set of windows each.
    const w = this.windowsOf(trade);
    w.volume.push(qty);
    const change = w.change.update(trade.ts, price);
    if (change === null || !Number.isFinite(change) || !(Math.abs(change) > this.params.threshold)) return null;
    const avgQty = w.volume.average();
    // makeEvent's key order, written out: one signal per dozen trades, and the spread showed in profiles.
    return {
      v: SIGNAL_VERSION,
      seq: 0,
      ts: trade.ts,
      type: 'signal',
      symbol: trade.symbol,
      tradeId: trade.tradeId,
      change,
      direction: change > 0 ? 'bullish' : 'bearish',
      confirmed: w.volume.confirms(qty, avgQty),
      price: trade.price,
      qty: trade.qty,
      avgQty,
    };
  }

  private windowsOf(trade: TradeEvent): SymbolWindows {
    // The last trade's market is the usual next one: no key built nor looked up for a run of them.
    if (trade.symbol === this.lastSymbol && trade.market === undefined && this.last !== null) return this.last;
    const key = tradeMarketKey(trade);
    let w = this.bySymbol.get(key);
    if (w === undefined) {
      w = { change: new PriceChangeWindow(this.params.windowMs), volume: new VolumeWindow(this.params) };
      this.bySymbol.set(key, w);
    }
    this.lastSymbol = trade.market === undefined ? trade.symbol : null;
    this.last = w;
    return w;
  }

  /** Symbols seen (one set of windows each). */
  get symbols(): string[] {
    return [...this.bySymbol.keys()];
  }
}

/** Trades in, signal events out (one per trade whose change exceeds the threshold). Fresh state per subscription. */
export function tradeSignals(params: SignalParams): OperatorFunction<TradeEvent, SignalEvent> {
  // One operator layer rather than map + filter: this runs once per trade.
  return (source) =>
    new Observable<SignalEvent>((subscriber) => {
      const detector = new SignalDetector(params);
      return source.subscribe({
        next(trade) {
          const signal = detector.onTrade(trade);
          if (signal !== null) subscriber.next(signal);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** A number as JSON writes it (non-finite numbers become null). */
function jsonNumber(n: number): string {
  // JSON.stringify rather than String: String(n) keeps each new double's text in V8's number-string
  // cache, which promotes it to the old generation; a replay's memory then creeps until a full GC.
  return JSON.stringify(n);
}

/** A string as JSON writes it: printable ASCII other than `"` and `\` needs no escape (symbols, decimal prices). */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/**
 * The log line of a signal, byte for byte what `JSON.stringify(signal)` gives (a test holds it to
 * that), built directly because signals are the one derived event that is frequent.
 */
export function signalLine(s: SignalEvent): string {
  return (
    `{"v":${s.v},"seq":${s.seq},"ts":${s.ts},"type":"signal","symbol":${jsonString(s.symbol)},"tradeId":${s.tradeId},` +
    `"change":${jsonNumber(s.change)},"direction":"${s.direction}","confirmed":${s.confirmed},"price":${jsonString(s.price)},` +
    `"qty":${jsonString(s.qty)},"avgQty":${s.avgQty === null ? 'null' : jsonNumber(s.avgQty)}}`
  );
}
