import { InputError, type InputLocation } from '../../../../events/errors';
import { makeEvent, type InputEvent, type LastTradeEvent, type MarketInfo } from '../../../../events/types';
import { Fields, jsonObject, type Obj } from '../../../../events/validate';

/** Data API `GET /trades` rows (`{asset, conditionId, side, price, size, timestamp (s), ...}`) as `last_trade`, oldest first. */
export function decodeDataTrades(pages: unknown[], where: InputLocation): LastTradeEvent[] {
  const out: LastTradeEvent[] = [];
  for (const page of pages) {
    if (!Array.isArray(page)) throw new InputError(where, '(body)', 'expected a JSON array of trades');
    page.forEach((row, i) => {
      const f = new Fields(jsonObject(row, where), where, `[${i}].`);
      out.push(makeEvent('last_trade', f.int('timestamp') * 1000, { market: f.string('conditionId'), tokenId: f.string('asset'), price: f.probability('price'), size: f.positiveDecimal('size'), side: f.oneOf('side', ['BUY', 'SELL'] as const) }));
    });
  }
  // The API answers newest first: reversed, equal seconds keep the venue's order, oldest first.
  return out.reverse().sort((a, b) => a.ts - b.ts);
}

/** CLOB `GET /prices-history` (`{"history":[{"t":s,"p":price}]}`) as `reference_price` points of the token. */
export function decodePriceHistory(body: unknown, tokenId: string, where: InputLocation): InputEvent[] {
  const f = new Fields(jsonObject(body, where), where);
  return f.objects('history').map((point) => makeEvent('reference_price', point.int('t') * 1000, { source: 'clob_history', symbol: tokenId, value: point.probability('p') }));
}

/** The recorded outcome of a closed market (`outcomePrices` one "1", the rest "0"), or null. */
export function decidedOutcome(market: MarketInfo): number | null {
  if (!market.closed) return null;
  const ones = market.outcomePrices.map((p, i) => (Number(p) === 1 ? i : -1)).filter((i) => i >= 0);
  const zeros = market.outcomePrices.filter((p) => Number(p) === 0).length;
  return ones.length === 1 && zeros === market.outcomePrices.length - 1 ? ones[0] : null;
}

/** The window start of a Gamma market (ms): `eventStartTime`, else `startDate`, else null. */
export function startOf(raw: Obj, where: InputLocation): number | null {
  for (const field of ['eventStartTime', 'startDate']) {
    const v = raw[field];
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      if (Number.isNaN(ms)) throw new InputError(where, field, `expected an ISO time, got ${JSON.stringify(v).slice(0, 60)}`);
      return ms;
    }
  }
  return null;
}
