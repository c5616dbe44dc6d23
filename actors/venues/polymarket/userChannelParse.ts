/**
 * Pure decoders of the CLOB user channel (`/ws/user`): our order events (PLACEMENT, UPDATE,
 * CANCELLATION) and trade events (MATCHED, MINED, CONFIRMED, RETRYING, FAILED; our order as the
 * taker or among the maker orders). The trade shape is the one `GET /data/trades` answers too, so
 * `fillsOfTrade` is the one place that finds our fills in a trade, for the stream and the poll.
 */
import { InputError, type InputLocation } from '../../../events/errors';
import { Fields, type Obj } from '../../../events/validate';

/** One fill of our order in a trade: as taker (the trade) or as maker (our maker leg). */
export interface VenueFill {
  tradeId: string;
  price: string;
  size: string;
  liquidity: 'taker' | 'maker';
  /** The trade's status (`MATCHED`, `MINED`, `CONFIRMED`, `RETRYING`, `FAILED`). */
  status: string;
}

export interface UserOrderMessage {
  kind: 'order';
  /** The order hash. */
  orderId: string;
  /** `PLACEMENT`, `UPDATE`, `CANCELLATION`. */
  type: string;
  /** The venue's order status (`LIVE`, `MATCHED`, `CANCELED`, `CANCELED_<why>`, `INVALID`, ...). */
  status: string;
  assetId: string;
  market: string;
  originalSize: string;
  /** '' (a killed FOK) reads as 0. */
  sizeMatched: string;
  timestampMs: number;
}

export interface UserMakerOrder {
  orderId: string;
  price: string;
  matchedAmount: string;
}

export interface UserTradeMessage {
  kind: 'trade';
  tradeId: string;
  status: string;
  assetId: string;
  market: string;
  takerOrderId: string;
  price: string;
  size: string;
  makerOrders: UserMakerOrder[];
}

export interface UserFrame {
  messages: (UserOrderMessage | UserTradeMessage)[];
  /** Well-formed messages of other kinds. */
  ignored: number;
  errors: InputError[];
}

const ORDER_TYPES = new Set(['PLACEMENT', 'UPDATE', 'CANCELLATION']);

function decimalOrZero(f: Fields, field: string): string {
  const v = f.obj[field];
  return v === '' || v === null || v === undefined ? '0' : f.decimal(field);
}

/** A trade of `GET /data/trades` or of the user channel. */
export function decodeTrade(f: Fields): UserTradeMessage {
  return {
    kind: 'trade',
    tradeId: f.string('id'),
    status: f.string('status').toUpperCase(),
    assetId: f.string('asset_id'),
    market: f.optString('market') ?? '',
    takerOrderId: f.string('taker_order_id'),
    price: f.probability('price'),
    size: f.positiveDecimal('size'),
    makerOrders: (f.has('maker_orders') ? f.objects('maker_orders') : []).map((m) => ({
      orderId: m.string('order_id'),
      price: m.probability('price'),
      matchedAmount: m.positiveDecimal('matched_amount'),
    })),
  };
}

/** Our fills of the order named `hash` in one trade (none when the order is not in it). */
export function fillsOfTrade(trade: UserTradeMessage, hash: string): VenueFill[] {
  const same = (a: string) => a.toLowerCase() === hash.toLowerCase();
  if (same(trade.takerOrderId)) return [{ tradeId: trade.tradeId, price: trade.price, size: trade.size, liquidity: 'taker', status: trade.status }];
  return trade.makerOrders.filter((m) => same(m.orderId)).map((m) => ({ tradeId: trade.tradeId, price: m.price, size: m.matchedAmount, liquidity: 'maker' as const, status: trade.status }));
}

/** Every order hash a trade names: the taker's and the makers'. */
export function ordersOfTrade(trade: UserTradeMessage): string[] {
  return [trade.takerOrderId, ...trade.makerOrders.map((m) => m.orderId)];
}

function decodeOrder(f: Fields): UserOrderMessage {
  return {
    kind: 'order',
    orderId: f.string('id'),
    type: f.string('type').toUpperCase(),
    status: f.string('status').toUpperCase(),
    assetId: f.string('asset_id'),
    market: f.string('market'),
    originalSize: decimalOrZero(f, 'original_size'),
    sizeMatched: decimalOrZero(f, 'size_matched'),
    timestampMs: f.has('timestamp') ? f.timeMs('timestamp') : 0,
  };
}

/** One user-channel message, or null for a kind this project does not read. */
export function parseUserMessage(obj: Obj, where: InputLocation, prefix = ''): UserOrderMessage | UserTradeMessage | null {
  const f = new Fields(obj, where, prefix);
  const eventType = f.optString('event_type')?.toLowerCase();
  const type = f.optString('type')?.toUpperCase() ?? '';
  if (eventType === 'trade' || (eventType === undefined && type === 'TRADE')) return decodeTrade(f);
  if (eventType === 'order' || (eventType === undefined && ORDER_TYPES.has(type))) return decodeOrder(f);
  return null;
}

/** A text frame: one message or an array of them; `PONG` and unknown kinds are ignored, bad ones reported. */
export function parseUserFrame(text: string, where: InputLocation): UserFrame {
  const out: UserFrame = { messages: [], ignored: 0, errors: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    out.errors.push(new InputError(where, '(frame)', `not JSON: ${(err as Error).message}`));
    return out;
  }
  const items = Array.isArray(raw) ? raw : [raw];
  items.forEach((item, i) => {
    const prefix = Array.isArray(raw) ? `[${i}].` : '';
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      out.errors.push(new InputError(where, prefix || '(frame)', 'expected a message object'));
      return;
    }
    try {
      const m = parseUserMessage(item as Obj, where, prefix);
      if (m === null) out.ignored++;
      else out.messages.push(m);
    } catch (err) {
      if (err instanceof InputError) out.errors.push(err);
      else throw err;
    }
  });
  return out;
}
