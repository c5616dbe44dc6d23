import { InputError, type InputLocation } from '../../../../events/errors';
import { makeEvent, type InputEvent, type MarketDefinitionEvent } from '../../../../events/types';
import { Fields, parseJsonObject } from '../../../../events/validate';
import { decodeGammaMarket } from '../gammaParse';
import { RowError } from './rows';

/** `65026457815000000000000` (×1e18, Chainlink's full accuracy) as `65026.457815`. */
export function fromE18(digits: string, where: InputLocation, field: string): string {
  if (!/^\d+$/.test(digits)) throw new InputError(where, field, `expected an integer string (value × 1e18), got ${JSON.stringify(digits).slice(0, 60)}`);
  const padded = digits.replace(/^0+/, '').padStart(19, '0');
  const int = padded.slice(0, -18);
  const frac = padded.slice(-18).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : int;
}

/**
 * One listing line (`btc-updown-5m-<start>` with `token_ids`, `start_sec`, `end_sec`, `outcome_prices`,
 * `strike_value` and the `raw` Gamma market): the market's definition at its window start, as the
 * market was while it traded (open, no outcome prices), and its recorded outcome as `market_resolved`
 * at its end. A market without a decided outcome (`["1","0"]` or `["0","1"]`) is skipped as `unresolved`.
 */
export function decodeListingLine(line: string, file: string, row: number): InputEvent[] {
  const where = { file: `${file} row ${row}` };
  const f = new Fields(parseJsonObject(line, where), where);
  const slug = f.string('slug');
  const conditionId = f.string('condition_id');
  const tokenIds = f.stringArray('token_ids');
  if (tokenIds.length !== 2) throw new RowError(file, row, 'token_ids', `expected 2 token ids (Up, Down), got ${tokenIds.length}`, 'bad_field');
  const startSec = f.int('start_sec');
  const endSec = f.int('end_sec');
  if (endSec <= startSec) throw new RowError(file, row, 'end_sec', `end ${endSec} is not after start ${startSec}`, 'bad_time');
  const outcomes = f.stringArray('outcome_prices').join(',');
  const winner = outcomes === '1,0' ? 0 : outcomes === '0,1' ? 1 : -1;
  if (winner < 0) throw new RowError(file, row, 'outcome_prices', `expected ["1","0"] or ["0","1"] (a resolved market), got [${outcomes}]`, 'unresolved');
  const strike = f.has('strike_value') ? fromE18(f.string('strike_value'), where, 'strike_value') : null;
  const raw = decodeGammaMarket(f.object('raw'), null);
  if (raw.conditionId !== conditionId) throw new RowError(file, row, 'raw.conditionId', `differs from condition_id ${conditionId}`, 'bad_field');
  if (raw.tokenIds.join(',') !== tokenIds.join(',')) throw new RowError(file, row, 'raw.clobTokenIds', 'differ from token_ids', 'bad_field');
  // The market as it traded: open until its end, outcome unknown (no look-ahead into the result).
  const market = { ...raw, slug, outcomePrices: [], endTs: endSec * 1000, active: true, closed: false, acceptingOrders: true, bestBid: null, bestAsk: null };
  const definition: MarketDefinitionEvent = makeEvent('market_definition', startSec * 1000, {
    source: 'listing',
    market,
    derivedIds: false,
    prices: 'none',
    windowStartTs: startSec * 1000,
    asset: f.has('asset') ? f.string('asset').toLowerCase() : null,
    strike,
  });
  const resolved = makeEvent('market_resolved', endSec * 1000, { market: conditionId, winningTokenId: tokenIds[winner], winningOutcome: raw.outcomes[winner] ?? (winner === 0 ? 'Up' : 'Down') });
  return [definition, resolved];
}

export const CHAINLINK_HEADER = 'feed_ts_ms,value,full_accuracy_value';

/** `BTCUSD-prices-2026-07-24.csv.gz` → `btc/usd`. */
export function oracleSymbolFromName(path: string): string | null {
  const m = /(?:^|[\\/])([A-Za-z]{2,10})(USD|USDT|USDC)-prices/i.exec(path);
  return m ? `${m[1].toLowerCase()}/${m[2].toLowerCase()}` : null;
}

/** One Chainlink CSV row `feed_ts_ms,value,full_accuracy_value,server_ts_ms,recv_ms` as `oracle_price` at feed time. */
export function decodeChainlinkRow(line: string, columns: string[], symbol: string, file: string, row: number): InputEvent {
  const cells = line.split(',');
  if (cells.length !== columns.length) throw new RowError(file, row, '(columns)', `has ${cells.length} columns, expected ${columns.length} (${columns.join(',')})`, 'wrong_columns');
  const where = { file: `${file} row ${row}` };
  const f = new Fields(Object.fromEntries(columns.map((c, i) => [c, cells[i]])), where);
  const ts = f.timeMs('feed_ts_ms');
  const value = f.has('full_accuracy_value') && cells[columns.indexOf('full_accuracy_value')] !== '' ? fromE18(f.string('full_accuracy_value'), where, 'full_accuracy_value') : f.positiveDecimal('value');
  if (!/[1-9]/.test(value)) throw new RowError(file, row, 'value', 'expected a positive price, got 0', 'bad_price');
  return makeEvent('oracle_price', ts, { source: 'chainlink', symbol, value });
}
