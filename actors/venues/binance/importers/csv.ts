import { InputError, type InputLocation, show } from '../../../../events/errors';
import { makeEvent, type TradeEvent } from '../../../../events/types';
import { Fields } from '../../../../events/validate';

/**
 * Binance public-data CSV (data.binance.vision), with or without a header:
 * - trades:    id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]
 * - aggTrades: agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match]
 * Times are ms, or µs (16 digits, Binance spot files since 2025), which are floored to ms.
 */
export type CsvLayout = 'trades' | 'aggTrades';

const COLUMNS: Record<CsvLayout, readonly string[]> = {
  trades: ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker'],
  aggTrades: ['agg_id', 'price', 'qty', 'first_id', 'last_id', 'time', 'is_buyer_maker'],
};

/** Header names seen in Binance files and docs, by canonical column. */
const ALIASES: Record<string, readonly string[]> = {
  id: ['id', 'trade_id'],
  agg_id: ['agg_id', 'agg_trade_id', 'a'],
  price: ['price', 'p'],
  qty: ['qty', 'quantity', 'q'],
  quote_qty: ['quote_qty', 'quote_quantity', 'quoteqty'],
  first_id: ['first_id', 'first_trade_id', 'f'],
  last_id: ['last_id', 'last_trade_id', 'l'],
  time: ['time', 'transact_time', 'timestamp', 't'],
  is_buyer_maker: ['is_buyer_maker', 'isbuyermaker', 'm'],
  is_best_match: ['is_best_match', 'isbestmatch'],
};

export interface CsvShape {
  layout: CsvLayout;
  hasHeader: boolean;
}

const INT = /^\d+$/;

/** Tells the layout (unless forced) and whether `firstLine` is a header. Null when it is not Binance CSV. */
export function detectCsv(firstLine: string, forced?: CsvLayout): CsvShape | null {
  const cols = firstLine.split(',').map((c) => c.trim().toLowerCase());
  if (cols.length < 6 || cols.length > 8) return forced ? { layout: forced, hasHeader: !INT.test(cols[0]) } : null;
  const hasHeader = !INT.test(cols[0]);
  if (forced) return { layout: forced, hasHeader };
  if (hasHeader) {
    if (ALIASES.agg_id.includes(cols[0]) || cols.some((c) => ALIASES.first_id.includes(c))) return { layout: 'aggTrades', hasHeader };
    if (ALIASES.id.includes(cols[0])) return { layout: 'trades', hasHeader };
    return null;
  }
  if (cols.length === 6) return { layout: 'trades', hasHeader };
  if (cols.length === 8) return { layout: 'aggTrades', hasHeader };
  // 7 columns: trades with is_best_match (column 6 a boolean) or aggTrades without (column 6 the time).
  return { layout: INT.test(cols[5]) ? 'aggTrades' : 'trades', hasHeader };
}

/** Checks a header line names the layout's columns in order (an extra is_best_match is allowed). */
export function checkCsvHeader(line: string, layout: CsvLayout, where: InputLocation): void {
  const cols = line.split(',').map((c) => c.trim().toLowerCase());
  const expected = COLUMNS[layout];
  if (cols.length !== expected.length && cols.length !== expected.length + 1) {
    throw new InputError(where, '(columns)', `header has ${cols.length} columns, expected ${expected.join(',')}[,is_best_match]`);
  }
  expected.forEach((name, i) => {
    if (!ALIASES[name].includes(cols[i])) throw new InputError(where, '(columns)', `header column ${i + 1} is ${show(cols[i])}, expected ${name}`);
  });
}

function csvBool(value: string, field: string, where: InputLocation): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InputError(where, field, `expected true or false, got ${show(value)}`);
}

function csvInt(value: string, field: string, where: InputLocation): number {
  const n = Number(value);
  if (!INT.test(value) || !Number.isSafeInteger(n)) throw new InputError(where, field, `expected a non-negative integer, got ${show(value)}`);
  return n;
}

function csvTimeMs(value: string, where: InputLocation): number {
  if (!INT.test(value)) throw new InputError(where, 'time', `expected a time in ms or µs, got ${show(value)}`);
  if (value.length === 13) return Number(value);
  if (value.length === 16) return Math.floor(Number(value) / 1000);
  throw new InputError(where, 'time', `expected a time in ms (13 digits) or µs (16 digits), got ${show(value)}`);
}

/** Decodes one data line into a `trade` event (tradeId = the aggregate id for aggTrades). */
export function decodeCsvTrade(line: string, layout: CsvLayout, symbol: string, where: InputLocation): TradeEvent {
  const cols = line.split(',');
  const expected = COLUMNS[layout];
  if (cols.length !== expected.length && cols.length !== expected.length + 1) {
    throw new InputError(where, '(columns)', `has ${cols.length} columns, expected ${expected.length} or ${expected.length + 1} (${expected.join(',')}[,is_best_match])`);
  }
  const agg = layout === 'aggTrades';
  const row = new Fields({ price: cols[1], qty: cols[2], quote_qty: cols[3] }, where);
  const price = row.positiveDecimal('price');
  const qty = row.positiveDecimal('qty');
  if (agg) {
    const first = csvInt(cols[3], 'first_id', where);
    const last = csvInt(cols[4], 'last_id', where);
    if (last < first) throw new InputError(where, 'last_id', `last_id ${last} is before first_id ${first}`);
  } else {
    row.decimal('quote_qty');
  }
  if (cols.length > expected.length) csvBool(cols[expected.length], 'is_best_match', where);
  return makeEvent('trade', csvTimeMs(cols[agg ? 5 : 4], where), {
    venue: 'binance',
    symbol,
    tradeId: csvInt(cols[0], agg ? 'agg_id' : 'id', where),
    price,
    qty,
    buyerMaker: csvBool(cols[agg ? 6 : 5], 'is_buyer_maker', where),
  });
}
