import { Observable, type OperatorFunction } from 'rxjs';
import { putAscii as putAsciiOf, putBytes as putBytesOf, putDigits as putDigitsOf, renderedText } from '../events/bytes';
import type { RenderedLine } from '../events/log';
import { eventVersion, tradeMarketKey, type SignalEvent, type TradeEvent } from '../events/types';
import { decimalNumber } from './decimalNumber';
import { PriceChangeWindow, type PriceChangeParams } from './priceChange';
import { VolumeWindow, type VolumeParams } from './volumeConfirmation';

/** The byte writers, read once (an imported binding is a getter call under tsx's CommonJS: events/tradeLine.ts). */
const putAscii = putAsciiOf;
const putBytes = putBytesOf;
const putDigits = putDigitsOf;

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

/** Bytes a JSON number's text takes at most (`-1.2345678901234567e-308`). */
const NUMBER_MAX_BYTES = 25;

/** Writes a number as JSON writes it: a non-negative safe integer's digits directly, anything else through `JSON.stringify`. */
function putNumber(out: Buffer, p: number, n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? putDigits(out, p, n) : putAscii(out, p, jsonNumber(n));
}

/**
 * Writes a string as JSON writes it: printable ASCII other than `"` and `\` (symbols, decimal prices)
 * needs no escape and is written a byte a character; any other through `JSON.stringify`, as UTF-8.
 */
function putString(out: Buffer, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return p + out.write(JSON.stringify(s), p, 'utf8');
  }
  out[p] = 0x22;
  putAscii(out, p + 1, s);
  out[p + n + 1] = 0x22;
  return p + n + 2;
}

/** Bytes a string's JSON text takes at most: quotes, and per UTF-16 unit an escape of six ASCII bytes or up to three UTF-8 bytes. */
const stringMaxBytes = (s: string) => 2 + 6 * s.length;

const piece = (text: string) => Buffer.from(text, 'latin1');
const S_V = piece('{"v":');
const S_SEQ = piece(',"seq":');
const S_TS = piece(',"ts":');
const S_SYMBOL = piece(',"type":"signal","symbol":');
const S_TRADE_ID = piece(',"tradeId":');
const S_CHANGE = piece(',"change":');
const S_DIRECTION = piece(',"direction":');
const S_CONFIRMED = piece(',"confirmed":');
const S_PRICE = piece(',"price":');
const S_QTY = piece(',"qty":');
const S_AVG_QTY = piece(',"avgQty":');
const TRUE = piece('true');
const FALSE = piece('false');
const NULL = piece('null');
const PIECES_BYTES = [S_V, S_SEQ, S_TS, S_SYMBOL, S_TRADE_ID, S_CHANGE, S_DIRECTION, S_CONFIRMED, S_PRICE, S_QTY, S_AVG_QTY, FALSE].reduce((n, b) => n + b.length, 0) + 1;

/**
 * A signal's log line, byte for byte what `JSON.stringify` gives for the signal under the seq it is
 * written with (a test holds it to that), written straight into the log's output: signals are the one
 * derived event that is frequent, and a line built as text was concatenated, flattened, checked and
 * copied once more to put its seq in.
 */
export class SignalLine implements RenderedLine {
  constructor(readonly signal: SignalEvent) {}

  get maxLineBytes(): number {
    const s = this.signal;
    return PIECES_BYTES + 6 * NUMBER_MAX_BYTES + stringMaxBytes(s.symbol) + stringMaxBytes(s.direction) + stringMaxBytes(s.price) + stringMaxBytes(s.qty);
  }

  render(out: Buffer, at: number, seq: number): number {
    const s = this.signal;
    let p = putBytes(out, at, S_V);
    p = putNumber(out, p, s.v);
    p = putBytes(out, p, S_SEQ);
    p = putNumber(out, p, seq);
    p = putBytes(out, p, S_TS);
    p = putNumber(out, p, s.ts);
    p = putBytes(out, p, S_SYMBOL);
    p = putString(out, p, s.symbol);
    p = putBytes(out, p, S_TRADE_ID);
    p = putNumber(out, p, s.tradeId);
    p = putBytes(out, p, S_CHANGE);
    p = putAscii(out, p, jsonNumber(s.change));
    p = putBytes(out, p, S_DIRECTION);
    p = putString(out, p, s.direction);
    p = putBytes(out, p, S_CONFIRMED);
    p = putBytes(out, p, s.confirmed ? TRUE : FALSE);
    p = putBytes(out, p, S_PRICE);
    p = putString(out, p, s.price);
    p = putBytes(out, p, S_QTY);
    p = putString(out, p, s.qty);
    p = putBytes(out, p, S_AVG_QTY);
    p = s.avgQty === null ? putBytes(out, p, NULL) : putAscii(out, p, jsonNumber(s.avgQty));
    out[p] = 0x7d;
    return p + 1;
  }
}

/** The log line of a signal under its own seq, as text (`SignalLine` rendered). */
export function signalLine(s: SignalEvent): string {
  return renderedText(new SignalLine(s), s.seq);
}
