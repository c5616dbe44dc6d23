import Big from 'big.js';
import { InputError } from '../../../../events/errors';
import { makeEvent, type BookLevel, type InputEvent } from '../../../../events/types';
import { Fields, type Obj } from '../../../../events/validate';
import { derivedTokenId, derivedUpDownMarket, type UpDownWindow } from './derivedIds';
import { parseJsonArray } from './jsonArray';
import { RowError, rejectRow } from './rows';
import type { HistoryFileSummary } from './types';

/** Where a collector file sits: `15m/btc/trades/1765450800up.json`. */
export interface CollectorPath extends UpDownWindow {
  kind: 'trades' | 'orderbooks';
  outcome: 'up' | 'down';
}

const COLLECTOR_PATH = /(?:^|[\\/])(\d+)m[\\/]([a-z]+)[\\/](trades|orderbooks)[\\/](\d{9,11})(up|down)\.json$/i;

/** The window, kind and outcome a collector file's path names, or null when it is not in that layout. */
export function collectorPath(path: string): CollectorPath | null {
  const m = COLLECTOR_PATH.exec(path);
  if (!m) return null;
  return { minutes: Number(m[1]), asset: m[2].toLowerCase(), kind: m[3].toLowerCase() as CollectorPath['kind'], startSec: Number(m[4]), outcome: m[5].toLowerCase() as CollectorPath['outcome'] };
}

export const COLLECTOR_LAYOUT = '<N>m/<asset>/trades|orderbooks/<window start s>up|down.json (e.g. 15m/btc/trades/1765450800up.json)';

/** The Binance symbol whose mid the collector stored as `asset_price`: BTCUSDT for `btc`. */
export function referenceSymbol(asset: string): string {
  return `${asset.toUpperCase()}USDT`;
}

/**
 * One collector file as input events, in row order: `last_trade` per trade row, `book` per book row,
 * and a `reference_price` (the collector's Binance mid) per row that carries `asset_price`. Rows are
 * checked: prices in 0..1, sizes, side, time not going backwards; exact duplicate rows are counted as
 * `duplicate_row` and dropped in both modes.
 */
export function decodeCollectorFile(path: string, text: string, where: CollectorPath, summary: HistoryFileSummary, strict: boolean): InputEvent[] {
  const { rows, truncatedAfter } = parseJsonArray(text, path);
  if (truncatedAfter !== null) {
    rejectRow(summary, strict, new RowError(path, truncatedAfter + 1, '(json)', `file ends inside row ${truncatedAfter + 1} (truncated JSON)`, 'truncated_json'));
  }
  const market = derivedUpDownMarket(where);
  const tokenId = derivedTokenId(where, where.outcome);
  const symbol = referenceSymbol(where.asset);
  const out: InputEvent[] = [];
  let lastTs = -1;
  let sameTs = new Set<string>();
  rows.forEach((row, i) => {
    const n = i + 1;
    summary.rows++;
    try {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new RowError(path, n, '(row)', 'expected a JSON object', 'malformed_json');
      const f = new Fields(row as Obj, { file: `${path} row ${n}` });
      const ts = f.timeMs('timestamp');
      if (ts < lastTs) throw new RowError(path, n, 'timestamp', `time ${ts} is before the previous row's ${lastTs} (time going backwards)`, 'time_backwards');
      const key = JSON.stringify(row);
      if (ts !== lastTs) sameTs = new Set();
      if (sameTs.has(key)) {
        summary.skipped.duplicate_row = (summary.skipped.duplicate_row ?? 0) + 1;
        return;
      }
      const event =
        where.kind === 'trades'
          ? makeEvent('last_trade', ts, { market: market.conditionId, tokenId, price: positivePrice(f, 'price'), size: f.positiveDecimal('size'), side: f.oneOf('side', ['buy', 'sell'] as const).toUpperCase() as 'BUY' | 'SELL' })
          : makeEvent('book', ts, { source: 'clob_ws', tokenId, market: market.conditionId, bids: levels(f, 'bids', 'desc'), asks: levels(f, 'asks', 'asc'), tickSize: null, minOrderSize: null, negRisk: null, hash: null });
      const reference = f.has('asset_price') ? makeEvent('reference_price', ts, { source: 'binance_mid', symbol, value: f.positiveDecimal('asset_price') }) : null;
      sameTs.add(key);
      lastTs = ts;
      out.push(event);
      if (reference) out.push(reference);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      rejectRow(summary, strict, err);
    }
  });
  return out;
}

/** A traded price: in (0, 1]. */
function positivePrice(f: Fields, field: string): string {
  const p = f.probability(field);
  if (!/[1-9]/.test(p)) throw new InputError(f.where, field, `expected a price above 0 and at most 1, got "${p}"`);
  return p;
}

/** Polymarket sends bids ascending and asks descending; the book event holds them best first. */
function levels(f: Fields, field: 'bids' | 'asks', order: 'asc' | 'desc'): BookLevel[] {
  const out = f.objects(field).map((l) => ({ price: l.probability('price'), size: l.decimal('size') }));
  return out.sort((a, b) => (order === 'asc' ? new Big(a.price).cmp(b.price) : new Big(b.price).cmp(a.price)));
}
