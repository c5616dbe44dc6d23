/**
 * Pure decoders of Polymarket CLOB market-channel messages into input events. No I/O: used by the
 * live adapter, testable on recorded messages, benchmarkable alone.
 */
import { InputError, type InputLocation, show } from '../../../events/errors';
import { Fields, type Obj } from '../../../events/validate';
import { makeEvent, type BookChange, type BookLevel, type InputEvent } from '../../../events/types';

export interface MarketFrame {
  events: InputEvent[];
  /** Well-formed messages this project does not record (`new_market`, unknown types). */
  ignored: number;
  /** Messages of the frame that could not be read (the rest of the frame is still used). */
  errors: InputError[];
}

const SIDES = ['BUY', 'SELL'] as const;

/** Polymarket's docs show prices like ".48": read them as "0.48". */
function leadingZero(v: unknown): unknown {
  return typeof v === 'string' && v.startsWith('.') ? `0${v}` : v;
}

/** A field read by `read`, a leading "." taken as "0." first. */
function withLeadingZero(f: Fields, field: string, read: (g: Fields, field: string) => string): string {
  const v = f.obj[field];
  return typeof v === 'string' && v.startsWith('.') ? read(new Fields({ [field]: leadingZero(v) }, f.where, f.prefix), field) : read(f, field);
}

function decimal(f: Fields, field: string): string {
  return withLeadingZero(f, field, (g, k) => g.decimal(k));
}

function price(f: Fields, field: string): string {
  return withLeadingZero(f, field, (g, k) => g.probability(k));
}

/** An optional field (absent or ""), read by `read` when present. */
function optional(f: Fields, field: string, read: (f: Fields, field: string) => string): string | null {
  return f.has(field) && f.obj[field] !== '' ? read(f, field) : null;
}

/** A book's tick size, when it has one: positive (a tick of 0 would make every price "on tick"). */
function tickSize(f: Fields, field: string): string {
  return withLeadingZero(f, field, (g, k) => g.positiveDecimal(k));
}

/** Levels sorted best first whatever order the source used: bids high to low (dir -1), asks low to high (dir 1). */
function levels(f: Fields, field: string, dir: 1 | -1): BookLevel[] {
  const out = f.objects(field).map((l) => ({ price: price(l, 'price'), size: decimal(l, 'size') }));
  out.sort((a, b) => dir * (Number(a.price) - Number(b.price)));
  return out;
}

function change(c: Fields, tokenId: string): BookChange {
  return { tokenId, side: c.oneOf('side', SIDES), price: price(c, 'price'), size: decimal(c, 'size') };
}

/** One market-channel message (an element of a frame) as an input event, or null when not recorded. */
export function parseMarketMessage(obj: Obj, where: InputLocation, fieldPrefix = ''): InputEvent | null {
  const f = new Fields(obj, where, fieldPrefix);
  const type = f.string('event_type');
  switch (type) {
    case 'book':
      return makeEvent('book', f.timeMs('timestamp'), {
        source: 'clob_ws',
        tokenId: f.string('asset_id'),
        market: f.string('market'),
        bids: levels(f, 'bids', -1),
        asks: levels(f, 'asks', 1),
        tickSize: optional(f, 'tick_size', tickSize),
        minOrderSize: optional(f, 'min_order_size', decimal),
        negRisk: f.has('neg_risk') ? f.bool('neg_risk') : null,
        hash: f.optString('hash'),
      });
    case 'price_change': {
      let changes: BookChange[];
      if (f.has('price_changes')) changes = f.objects('price_changes').map((c) => change(c, c.string('asset_id')));
      else if (f.has('changes')) changes = f.objects('changes').map((c) => change(c, f.string('asset_id'))); // 2024 form
      else changes = [change(f, f.string('asset_id'))]; // legacy single-level form
      return makeEvent('book_delta', f.timeMs('timestamp'), { market: f.string('market'), changes });
    }
    case 'last_trade_price':
      return makeEvent('last_trade', f.timeMs('timestamp'), {
        market: f.string('market'),
        tokenId: f.string('asset_id'),
        price: price(f, 'price'),
        size: decimal(f, 'size'),
        side: f.oneOf('side', SIDES),
      });
    case 'tick_size_change':
      return makeEvent('tick_size_change', f.timeMs('timestamp'), {
        market: f.string('market'),
        tokenId: f.string('asset_id'),
        oldTickSize: decimal(f, 'old_tick_size'),
        newTickSize: f.positiveDecimal('new_tick_size'),
      });
    case 'best_bid_ask':
      return makeEvent('best_bid_ask', f.timeMs('timestamp'), {
        market: f.string('market'),
        tokenId: f.string('asset_id'),
        bestBid: f.has('best_bid') && f.obj.best_bid !== '' ? price(f, 'best_bid') : null,
        bestAsk: f.has('best_ask') && f.obj.best_ask !== '' ? price(f, 'best_ask') : null,
      });
    case 'market_resolved':
      return makeEvent('market_resolved', f.timeMs('timestamp'), {
        market: f.string('market'),
        winningTokenId: f.string('winning_asset_id'),
        winningOutcome: f.string('winning_outcome'),
      });
    default:
      return null; // new_market and types added later by the venue
  }
}

/**
 * One websocket frame: a message object or an array of them (the first frame after subscribing is
 * an array of `book` snapshots). A bad message is reported in `errors`; the others are kept.
 */
export function parseMarketFrame(text: string, where: InputLocation): MarketFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { events: [], ignored: 0, errors: [new InputError(where, '(frame)', `not valid JSON (${(err as Error).message})`)] };
  }
  const items = Array.isArray(value) ? value : [value];
  const out: MarketFrame = { events: [], ignored: 0, errors: [] };
  const inArray = Array.isArray(value);
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      out.errors.push(new InputError(where, inArray ? `[${i}]` : '(frame)', `expected a message object, got ${show(item)}`));
      return;
    }
    try {
      const event = parseMarketMessage(item as Obj, where, inArray ? `[${i}].` : '');
      if (event) out.events.push(event);
      else out.ignored++;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      out.errors.push(err);
    }
  });
  return out;
}
