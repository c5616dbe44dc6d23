/**
 * Properties of the Polymarket decoders: Gamma markets and events (gammaParse.ts), CLOB books
 * (clobParse.ts), the CLOB market channel (wsParse.ts) and RTDS oracle prices (rtdsParse.ts), over
 * real records damaged field by field and as text. Whatever they let through must also pass the
 * event log's validation, so a recorded run replays.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeBookResponse, decodeBooksResponse } from '../../actors/venues/polymarket/clobParse';
import { decodeGammaEvent, decodeGammaEvents, decodeGammaMarkets } from '../../actors/venues/polymarket/gammaParse';
import { parseRtdsFrame } from '../../actors/venues/polymarket/rtdsParse';
import { parseMarketFrame } from '../../actors/venues/polymarket/wsParse';
import { InputError } from '../../events/errors';
import { makeEvent, type BookEvent, type InputEvent, type MarketInfo } from '../../events/types';
import { validateEvent } from '../../events/validate';
import { describeWithShared, FIXTURES } from '../support/shared';
import { expectDecimal, expectNamesPlace, expectPositiveDecimal, expectProbability, expectTime, mutatedJsonText, mutatedSample, params, parse, trapUnhandledRejections } from './support';

trapUnhandledRejections();

type Json = Record<string, unknown>;
const GAMMA = 'https://gamma-api.polymarket.com/markets?closed=false&limit=100';
const CLOB = 'https://clob.polymarket.com/book?token_id=1';
const WS = 'wss://ws-subscriptions-clob.polymarket.com/ws/market';
const RTDS = 'wss://ws-live-data.polymarket.com';

const twenty = JSON.parse(readFileSync(join(FIXTURES, 'polymarket/twenty_markets.json'), 'utf8')) as Json[];
// The recording's markets carry a long `description`; keep the fields the decoder reads and a few it ignores.
const gammaMarkets: Json[] = twenty.map(({ description: _d, ...m }) => m);
const tokenIds = (m: Json): string[] => JSON.parse(m.clobTokenIds as string) as string[];

/** The log accepts it: what a decoder produced can be recorded and replayed. */
function expectLoggable(e: InputEvent, where: string): void {
  const out = parse('validateEvent', () => validateEvent(JSON.parse(JSON.stringify(e)) as Json, { file: where, line: 1 }));
  if (!out.ok) throw new Error(`decoded event fails the log's validation: ${out.error.message}`);
}

function expectMarket(m: MarketInfo): void {
  expect(m.outcomes.length).toBeGreaterThan(0);
  for (const s of [m.id, m.conditionId, m.question, ...m.outcomes, ...m.tokenIds]) expect(typeof s).toBe('string');
  m.outcomePrices.forEach((p, i) => expectProbability(p, `outcomePrices[${i}]`));
  if (m.outcomePrices.length > 0) expect(m.outcomePrices.length).toBe(m.outcomes.length);
  if (m.tokenIds.length > 0) expect(m.tokenIds.length).toBe(m.outcomes.length);
  expectPositiveDecimal(m.tickSize, 'tickSize');
  expectDecimal(m.minSize, 'minSize');
  if (m.bestBid !== null) expectProbability(m.bestBid, 'bestBid');
  if (m.bestAsk !== null) expectProbability(m.bestAsk, 'bestAsk');
  if (m.endTs !== null) expect(Number.isFinite(m.endTs)).toBe(true);
  if (m.feeSchedule) {
    expectDecimal(m.feeSchedule.rate, 'feeSchedule.rate');
    expect(Number.isFinite(m.feeSchedule.exponent)).toBe(true);
  }
  for (const b of [m.negRisk, m.negRiskAugmented, m.feesEnabled, m.active, m.closed, m.acceptingOrders]) expect(typeof b).toBe('boolean');
}

function expectMarkets(markets: MarketInfo[]): void {
  markets.forEach(expectMarket);
  expectLoggable(makeEvent('market_snapshot', 1, { source: 'gamma', request: '/markets', markets }), GAMMA);
}

/** Prices in [0, 1], sizes plain decimals, bids best (highest) first, asks lowest first. */
function expectBook(b: BookEvent): void {
  expectTime(b.ts, 'ts');
  for (const l of [...b.bids, ...b.asks]) expectProbability(l.price, 'price'), expectDecimal(l.size, 'size');
  const bids = b.bids.map((l) => Number(l.price));
  const asks = b.asks.map((l) => Number(l.price));
  expect(bids).toEqual([...bids].sort((x, y) => y - x));
  expect(asks).toEqual([...asks].sort((x, y) => x - y));
  if (b.tickSize !== null) expectPositiveDecimal(b.tickSize, 'tickSize');
  if (b.minOrderSize !== null) expectDecimal(b.minOrderSize, 'minOrderSize');
  expectLoggable(b, CLOB);
}

function expectMarketEvent(e: InputEvent): void {
  expectTime(e.ts, 'ts');
  switch (e.type) {
    case 'book':
      expectBook(e);
      return;
    case 'book_delta':
      for (const c of e.changes) expectProbability(c.price, 'price'), expectDecimal(c.size, 'size'), expect(['BUY', 'SELL']).toContain(c.side);
      break;
    case 'last_trade':
      expectProbability(e.price, 'price');
      expectDecimal(e.size, 'size');
      break;
    case 'best_bid_ask':
      if (e.bestBid !== null) expectProbability(e.bestBid, 'bestBid');
      if (e.bestAsk !== null) expectProbability(e.bestAsk, 'bestAsk');
      break;
    case 'tick_size_change':
      expectPositiveDecimal(e.newTickSize, 'newTickSize');
      expectDecimal(e.oldTickSize, 'oldTickSize');
      break;
  }
  expectLoggable(e, WS);
}

describe('Gamma decoders', () => {
  const marketsBody = fc.array(mutatedSample(gammaMarkets), { minLength: 1, maxLength: 3 });

  it('/markets: real markets damaged field by field give markets that pass every check, or an InputError naming the URL and field', () => {
    fc.assert(
      fc.property(marketsBody, (body) => {
        const out = parse('decodeGammaMarkets', () => decodeGammaMarkets(body, { file: GAMMA }));
        if (!out.ok) return expectNamesPlace(out.error, GAMMA);
        expectMarkets(out.value);
      }),
      params(400),
    );
  });

  it('/events and /events/slug: events built around the real markets, damaged', () => {
    const event = fc.tuple(fc.array(fc.nat(gammaMarkets.length - 1), { minLength: 1, maxLength: 3 }), fc.boolean()).map(([idx, negRisk]) => ({
      id: '11345',
      slug: 'an-event',
      negRisk,
      negRiskMarketID: negRisk ? '0x6d5fc9a6810a122952ff6d3758949606d7e659fc6076e397a26ec43265f4e000' : undefined,
      markets: idx.map((i) => gammaMarkets[i]),
    }));
    fc.assert(
      fc.property(event.chain((e) => mutatedSample([e])), fc.boolean(), (body, asList) => {
        const out = parse('decodeGammaEvent', () => (asList ? decodeGammaEvents([body], { file: GAMMA }) : decodeGammaEvent(body, { file: GAMMA })));
        if (!out.ok) return expectNamesPlace(out.error, GAMMA);
        expectMarkets(out.value);
      }),
      params(250),
    );
  });

  it('any JSON body', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        for (const decode of [decodeGammaMarkets, decodeGammaEvents, decodeGammaEvent]) {
          const out = parse('gamma', () => decode(body, { file: GAMMA }));
          if (!out.ok) expectNamesPlace(out.error, GAMMA);
          else expectMarkets(out.value);
        }
      }),
      params(400),
    );
  });
});

/** A CLOB book around a real market's token, levels in the REST order (bids ascending, asks descending). */
const bookSamples: Json[] = gammaMarkets.slice(0, 4).map((m, i) => ({
  market: m.conditionId,
  asset_id: tokenIds(m)[0],
  timestamp: String(1724564136087 + i),
  hash: 'bf32b3746fff40c76c98021b7f3f07261169dd26',
  bids: [
    { price: '0.01', size: '1000' },
    { price: '0.1', size: '200' },
    { price: '.48', size: '20.5' },
  ],
  asks: [
    { price: '0.999', size: '231.08' },
    { price: '0.6', size: '12' },
  ],
  min_order_size: '5',
  tick_size: '0.01',
  neg_risk: false,
  last_trade_price: '0.5',
}));

describe('CLOB book decoder', () => {
  it('/book and /books: damaged books give sorted levels within [0, 1], or an InputError naming the URL', () => {
    fc.assert(
      fc.property(fc.array(mutatedSample(bookSamples), { minLength: 1, maxLength: 3 }), (books) => {
        const one = parse('decodeBookResponse', () => decodeBookResponse(books[0], { file: CLOB }, 1));
        if (one.ok) expectBook(one.value);
        else expectNamesPlace(one.error, CLOB);
        const many = parse('decodeBooksResponse', () => decodeBooksResponse(books, { file: CLOB }, 1));
        if (many.ok) many.value.forEach(expectBook);
        else expectNamesPlace(many.error, CLOB);
      }),
      params(600),
    );
  });
});

/** Market-channel messages of every type, around the real markets' ids. */
const m0 = gammaMarkets[0];
const [up, down] = tokenIds(m0);
const wsSamples: Json[] = [
  { ...bookSamples[0], event_type: 'book' },
  { event_type: 'price_change', market: m0.conditionId, timestamp: '1723967931411', price_changes: [{ asset_id: up, price: '0.514', size: '21574.08', side: 'SELL', best_bid: '0.5', best_ask: '0.514' }] },
  { event_type: 'price_change', market: m0.conditionId, asset_id: down, timestamp: '1723967931411', changes: [{ price: '.49', size: '0', side: 'BUY' }] },
  { event_type: 'last_trade_price', market: m0.conditionId, asset_id: up, price: '0.491', size: '85.36', side: 'SELL', fee_rate_bps: '0', timestamp: '1724564136087' },
  { event_type: 'tick_size_change', market: m0.conditionId, asset_id: up, old_tick_size: '0.01', new_tick_size: '0.001', timestamp: '1739068041853' },
  { event_type: 'best_bid_ask', market: m0.conditionId, asset_id: up, best_bid: '0.5', best_ask: '', timestamp: '1739068041853' },
  { event_type: 'market_resolved', market: m0.conditionId, winning_asset_id: up, winning_outcome: 'Yes', timestamp: '1739068041853' },
  { event_type: 'new_market', market: m0.conditionId, timestamp: '1739068041853' },
];

function checkMarketFrame(text: string): void {
  const frame = parse('parseMarketFrame', () => parseMarketFrame(text, { file: WS, line: 5 }));
  if (!frame.ok) throw new Error(`parseMarketFrame threw instead of reporting: ${frame.error.message}`);
  const { events, ignored, errors } = frame.value;
  for (const err of errors) {
    expect(err).toBeInstanceOf(InputError);
    expectNamesPlace(err, WS, 5);
  }
  events.forEach(expectMarketEvent);
  // Every message of the frame is accounted for: an event, an ignored type, or an error.
  let value: unknown = undefined;
  try {
    value = JSON.parse(text);
  } catch {
    expect(errors).toHaveLength(1);
    return;
  }
  expect(events.length + ignored + errors.length).toBe(Array.isArray(value) ? value.length : 1);
}

describe('CLOB market-channel parser', () => {
  it('messages of every type, damaged field by field and as text, alone or in an array frame', () => {
    const frame = fc.oneof(
      mutatedJsonText(wsSamples),
      fc.array(mutatedSample(wsSamples), { maxLength: 4 }).map((a) => JSON.stringify(a)),
    );
    fc.assert(fc.property(frame, checkMarketFrame), params(400));
  });

  describeWithShared(
    'recorded NautilusTrader messages',
    ['polymarket/nautilus_trader/ws_messages/book.json', 'polymarket/nautilus_trader/ws_messages/price_change.json', 'polymarket/nautilus_trader/ws_messages/last_trade_price.json', 'polymarket/nautilus_trader/ws_messages/tick_size_change.json', 'polymarket/nautilus_trader/http_responses/book.json'],
    (paths) => {
      const recorded = paths.slice(0, 4).map((p) => JSON.parse(readFileSync(p, 'utf8')) as Json);
      const restBook = JSON.parse(readFileSync(paths[4], 'utf8')) as Json;
      it('damaged: events that pass every check, or reported errors', () => {
        fc.assert(fc.property(mutatedJsonText(recorded), checkMarketFrame), params(600));
      });
      it('the recorded REST book, damaged', () => {
        fc.assert(
          fc.property(mutatedSample([restBook]), (body) => {
            const out = parse('decodeBookResponse', () => decodeBookResponse(body, { file: CLOB }, 1));
            if (out.ok) expectBook(out.value);
            else expectNamesPlace(out.error, CLOB);
          }),
          params(800),
        );
      });
    },
  );
});

describe('RTDS oracle prices', () => {
  const rtdsSamples: Json[] = [
    { topic: 'crypto_prices_chainlink', type: 'update', timestamp: 1753314064237, payload: { symbol: 'btc/usd', timestamp: 1753314064213, value: 67234.5 } },
    { topic: 'crypto_prices_chainlink', type: 'update', timestamp: 1753314064237, payload: { symbol: 'eth/usd', data: [{ timestamp: 1753314063000, value: 3600.25 }, { timestamp: 1753314064000, value: '3600.5' }] } },
    { topic: 'crypto_prices', type: 'update', payload: { symbol: 'btcusdt', timestamp: 1, value: 1 } },
  ];
  it('damaged frames give positive plain-decimal prices, or an InputError naming the URL', () => {
    fc.assert(
      fc.property(mutatedJsonText(rtdsSamples), (text) => {
        const out = parse('parseRtdsFrame', () => parseRtdsFrame(text, { file: RTDS, line: 2 }));
        if (!out.ok) return expectNamesPlace(out.error, RTDS, 2);
        for (const p of out.value) {
          expectTime(p.ts, 'ts');
          expectPositiveDecimal(p.value, 'value');
          expectLoggable(p, RTDS);
        }
      }),
      params(800),
    );
  });
});
