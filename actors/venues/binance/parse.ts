/**
 * Pure decoders of Binance trade messages into `trade` input events. No I/O: shared by the live
 * websocket adapter and the file importers, and benchmarked alone.
 */
import { InputError, type InputLocation, show } from '../../../events/errors';
import { Fields, type Obj } from '../../../events/validate';
import { makeEvent, type TradeEvent } from '../../../events/types';

export type BinancePayloadKind = 'trade' | 'aggTrade';

/**
 * Decodes a `@trade` payload (`{"e":"trade","s":..,"t":..,"p":..,"q":..,"T":..,"m":..}`) or an
 * `@aggTrade` / REST aggTrades object (`{"a":..,"p":..,"q":..,"f":..,"l":..,"T":..,"m":..}`, where
 * `s` may be absent and `symbol` must be given). Event time is the exchange trade time `T`.
 */
export function decodeTrade(data: Obj, where: InputLocation, symbol?: string): TradeEvent {
  const f = new Fields(data, where);
  const isAgg = data.e === 'aggTrade' || (data.e === undefined && data.a !== undefined);
  if (!isAgg && data.e !== 'trade' && data.e !== undefined) throw new InputError(where, 'e', `expected "trade" or "aggTrade", got ${show(data.e)}`);
  const sym = data.s !== undefined ? f.string('s').toUpperCase() : symbol;
  if (!sym) throw new InputError(where, 's', 'missing symbol (give one with --symbol)');
  if (data.X !== undefined && data.X !== 'MARKET') throw new SkipTrade(`not a market print (X=${show(data.X)})`);
  const trade = makeEvent('trade', f.timeMs('T'), {
    venue: 'binance',
    symbol: sym,
    tradeId: f.int(isAgg ? 'a' : 't'),
    price: f.positiveDecimal('p'),
    qty: f.positiveDecimal('q'),
    buyerMaker: f.bool('m'),
  });
  // Only USD-M futures `@trade` payloads carry `X` (the order type): spot ones never do.
  return data.X !== undefined ? asUsdm(trade) : trade;
}

/** The trade as a USD-M futures trade: `market: "usdm"` right after the symbol (spot trades carry no `market`). */
export function asUsdm(trade: TradeEvent): TradeEvent {
  if (trade.market === 'usdm') return trade;
  const { v, seq, ts, type, venue, symbol, ...rest } = trade;
  return { v, seq, ts, type, venue, symbol, market: 'usdm', ...rest };
}

/** A well-formed message that is not a market trade (e.g. an insurance-fund print): skipped and counted. */
export class SkipTrade extends Error {}

export type FrameKind = 'trade' | 'other_stream' | 'depth_snapshot';

export interface DecodedFrame {
  kind: FrameKind;
  /** The stream name for combined-stream frames (e.g. `btcusdt@bookTicker`). */
  stream: string | null;
  trade: TradeEvent | null;
}

/**
 * Decodes one combined-stream frame `{"stream":"btcusdt@trade","data":{...}}` (or a bare payload).
 * Non-trade streams and REST depth snapshots are reported by kind, not decoded. `symbol` is used
 * for bare payloads without `s` (REST aggTrades).
 */
export function decodeFrame(obj: Obj, where: InputLocation, symbol?: string): DecodedFrame {
  if (typeof obj.stream === 'string') {
    const stream = obj.stream;
    const at = stream.indexOf('@');
    const channel = at >= 0 ? stream.slice(at + 1) : '';
    if (channel !== 'trade' && channel !== 'aggTrade') return { kind: 'other_stream', stream, trade: null };
    const data = obj.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InputError(where, 'data', `expected an object, got ${show(data)}`);
    return { kind: 'trade', stream, trade: decodeTrade(data as Obj, where, stream.slice(0, at).toUpperCase()) };
  }
  if (obj.lastUpdateId !== undefined && Array.isArray(obj.bids)) return { kind: 'depth_snapshot', stream: null, trade: null };
  // A bare bookTicker also has `a` (the ask, a string): an aggregate trade id is a number.
  if (obj.e === 'trade' || obj.e === 'aggTrade' || (obj.e === undefined && (obj.t !== undefined || typeof obj.a === 'number'))) {
    return { kind: 'trade', stream: null, trade: decodeTrade(obj, where, symbol) };
  }
  return { kind: 'other_stream', stream: typeof obj.e === 'string' ? obj.e : null, trade: null };
}
