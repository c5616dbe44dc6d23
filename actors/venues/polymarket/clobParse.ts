/**
 * Pure decoders of CLOB order books (`GET /book`, `POST /books`, and the websocket `book` message,
 * which has the same shape) into `book` input events. No I/O.
 *
 * Sources disagree on level order (REST sends bids ascending and asks descending; some recordings the
 * reverse), so levels are sorted on ingest: bids highest first, asks lowest first.
 */
import { InputError, type InputLocation, show } from '../../../events/errors';
import { makeEvent, type BookEvent, type BookLevel } from '../../../events/types';
import { Fields, type Obj } from '../../../events/validate';

export type BookSource = BookEvent['source'];

/**
 * One book object `{"market","asset_id","timestamp","hash","bids":[{"price","size"}],"asks":[..],
 * "tick_size","min_order_size","neg_risk"}`. Event time is the venue's `timestamp`; `fallbackTs`
 * (the fetch time) when the venue gives none.
 */
export function decodeBook(f: Fields, source: BookSource, fallbackTs: number): BookEvent {
  return makeEvent('book', f.has('timestamp') ? f.timeMs('timestamp') : fallbackTs, {
    source,
    tokenId: f.string('asset_id'),
    market: f.string('market'),
    bids: sortLevels(levels(f, 'bids'), -1),
    asks: sortLevels(levels(f, 'asks'), 1),
    tickSize: f.has('tick_size') ? f.positiveDecimal('tick_size') : null,
    minOrderSize: f.has('min_order_size') ? f.decimal('min_order_size') : null,
    negRisk: f.has('neg_risk') ? f.bool('neg_risk') : null,
    hash: f.optString('hash'),
  });
}

/** The body of `GET /book?token_id=`. */
export function decodeBookResponse(body: unknown, where: InputLocation, fallbackTs: number): BookEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError(where, '(body)', `expected a book object, got ${show(body)}`);
  return decodeBook(new Fields(body as Obj, where), 'clob_rest', fallbackTs);
}

/** The body of `POST /books`: an array of book objects. */
export function decodeBooksResponse(body: unknown, where: InputLocation, fallbackTs: number): BookEvent[] {
  if (!Array.isArray(body)) throw new InputError(where, '(body)', `expected a JSON array of books, got ${show(body)}`);
  return body.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError(where, `[${i}]`, `expected a book object, got ${show(item)}`);
    return decodeBook(new Fields(item as Obj, where, `[${i}].`), 'clob_rest', fallbackTs);
  });
}

function levels(f: Fields, field: string): BookLevel[] {
  return f.objects(field).map((level) => ({ price: level.probability('price'), size: level.decimal('size') }));
}

/** dir -1: highest price first (bids); 1: lowest first (asks). Prices are <= 1 with a few decimals, so Number orders them exactly. */
function sortLevels(list: BookLevel[], dir: 1 | -1): BookLevel[] {
  return list.sort((a, b) => dir * (Number(a.price) - Number(b.price)));
}
