import { readFileSync } from 'node:fs';
import { SystemClock } from '../events/clock';
import { InputError } from '../events/errors';
import type { BookEvent, BookLevel } from '../events/types';
import { validateEvent } from '../events/validate';
import { ClobClient } from '../actors/venues/polymarket/clobClient';
import { decodeBookResponse, decodeBooksResponse } from '../actors/venues/polymarket/clobParse';
import { HttpClient, HttpError } from '../actors/venues/polymarket/http';
import { RateLimiter } from '../actors/venues/polymarket/rateLimiter';
import { RequestCounter } from '../actors/venues/polymarket/requestCounter';
import { PolymarketServer } from './support/polymarketServer';
import { describeWithShared } from './support/shared';

type RawBook = { market: string; asset_id: string; bids: BookLevel[]; asks: BookLevel[]; [k: string]: unknown };

/**
 * A book in the CLOB REST shape (bids ascending, asks descending, as Polymarket sends them), for
 * the Up token of a 15-minute market; prices on the 0.01 tick.
 */
function restShapedBook(assetId: string): RawBook {
  return {
    market: '0x78443f961b9a65869dcb39359de9960165c7e5cbad0904eac7f29cd77872a63b',
    asset_id: assetId,
    timestamp: '1773307212345',
    hash: 'a1b2c3',
    bids: [
      { price: '0.3', size: '500' },
      { price: '0.45', size: '40.5' },
      { price: '0.49', size: '12' },
    ],
    asks: [
      { price: '0.99', size: '1000' },
      { price: '0.6', size: '25' },
      { price: '0.51', size: '7.25' },
    ],
    min_order_size: '5',
    tick_size: '0.01',
    neg_risk: false,
    last_trade_price: '0.5',
  };
}

function bestOf(levels: BookLevel[], pick: (a: number, b: number) => number): string {
  return levels.reduce((best, l) => (pick(Number(l.price), Number(best.price)) === Number(l.price) ? l : best)).price;
}

/** Sorted the way the decoder must produce them, whatever order the raw book had. */
function expectSortedFrom(raw: RawBook, book: BookEvent): void {
  expect(book.bids[0].price).toBe(bestOf(raw.bids, Math.max));
  expect(book.asks[0].price).toBe(bestOf(raw.asks, Math.min));
  for (let i = 1; i < book.bids.length; i++) expect(Number(book.bids[i - 1].price)).toBeGreaterThan(Number(book.bids[i].price));
  for (let i = 1; i < book.asks.length; i++) expect(Number(book.asks[i - 1].price)).toBeLessThan(Number(book.asks[i].price));
  const key = (l: BookLevel) => `${l.price}@${l.size}`;
  expect(book.bids.map(key).sort()).toEqual(raw.bids.map(key).sort());
  expect(book.asks.map(key).sort()).toEqual(raw.asks.map(key).sort());
}

describe('CLOB book decoding', () => {
  it('sorts bids high to low and asks low to high, keeping every level and the market fields', () => {
    const raw = restShapedBook('111');
    const book = decodeBookResponse(raw, { file: 'http://clob/book?token_id=111' }, 42);
    expectSortedFrom(raw, book);
    expect([book.tokenId, book.market, book.ts, book.tickSize, book.minOrderSize, book.negRisk, book.hash, book.source]).toEqual(['111', raw.market, 1773307212345, '0.01', '5', false, 'a1b2c3', 'clob_rest']);
    expect(() => validateEvent(JSON.parse(JSON.stringify(book)), { file: 'x' })).not.toThrow();
  });

  it('gives the same book whichever order the levels arrive in', () => {
    const raw = restShapedBook('111');
    const reversed = { ...raw, bids: [...raw.bids].reverse(), asks: [...raw.asks].reverse() };
    const where = { file: 'u' };
    expect(decodeBookResponse(reversed, where, 0)).toEqual(decodeBookResponse(raw, where, 0));
  });

  it('uses the fetch time when the venue sends no timestamp, and null for absent market fields', () => {
    const { timestamp, tick_size, min_order_size, neg_risk, hash, ...bare } = restShapedBook('111');
    void [timestamp, tick_size, min_order_size, neg_risk, hash];
    const book = decodeBookResponse(bare, { file: 'u' }, 1234);
    expect([book.ts, book.tickSize, book.minOrderSize, book.negRisk, book.hash]).toEqual([1234, null, null, null, null]);
  });

  it('names the URL and the level of a malformed price', () => {
    const raw = restShapedBook('111');
    raw.asks[1] = { price: '1.2', size: '3' };
    const books = [restShapedBook('000'), raw];
    try {
      decodeBooksResponse(books, { file: 'http://clob/books' }, 0);
      throw new Error('expected an InputError');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).field).toBe('[1].asks[1].price');
      expect((err as InputError).message).toContain('http://clob/books');
    }
  });
});

describe('ClobClient against a loopback CLOB', () => {
  let server: PolymarketServer;
  let clob: ClobClient;
  let counter: RequestCounter;
  beforeEach(async () => {
    server = await PolymarketServer.start();
    for (const id of ['111', '222']) server.books.set(id, restShapedBook(id));
    const clock = new SystemClock();
    counter = new RequestCounter();
    clob = new ClobClient(new HttpClient({ baseUrl: server.url, venue: 'clob', clock, random: () => 0.5, limiter: new RateLimiter(clock), counter, timeoutMs: 1_000, retries: 2, retryBaseMs: 5 }));
  });
  afterEach(() => server.close());

  it('GET /book returns a sorted book event', async () => {
    const book = await clob.book('111');
    expectSortedFrom(restShapedBook('111'), book);
    expect(server.arrivals.map((a) => `${a.method} ${a.path}`)).toEqual(['GET /book?token_id=111']);
    expect(counter.total('clob:/book')).toBe(1);
  });

  it('POST /books fetches many books in one request', async () => {
    const books = await clob.books(['111', '222']);
    expect(books.map((b) => b.tokenId)).toEqual(['111', '222']);
    expect(server.arrivals.map((a) => `${a.method} ${a.path}`)).toEqual(['POST /books']);
    expect(counter.total('clob:/books')).toBe(1);
  });

  it('retries a 500 on /book and reports an unknown token as not found', async () => {
    server.fail('/book', { status: 500 });
    expect((await clob.book('222')).tokenId).toBe('222');
    expect(server.count('/book?')).toBe(2);
    await expect(clob.book('999')).rejects.toBeInstanceOf(HttpError);
  });
});

describeWithShared(
  'CLOB books recorded by nautilus_trader (LGPL, read from ../shared)',
  ['polymarket/nautilus_trader/http_responses/book.json', 'polymarket/nautilus_trader/ws_messages/book.json'],
  ([restPath, wsPath]) => {
    it('sorts the REST recording (bids ascending, asks descending as sent) best first', () => {
      const raw = JSON.parse(readFileSync(restPath, 'utf8')) as RawBook;
      const book = decodeBookResponse(raw, { file: restPath }, 0);
      expectSortedFrom(raw, book);
      expect(book.bids[0].price).toBe('0.1');
      expect(book.asks[0].price).toBe('0.14');
      expect(book.ts).toBe(Number(raw.timestamp));
    });

    it('decodes the websocket book message, which has the same shape', () => {
      const raw = JSON.parse(readFileSync(wsPath, 'utf8')) as RawBook;
      const book = decodeBookResponse(raw, { file: wsPath }, 0);
      expectSortedFrom(raw, book);
      expect(Number(book.bids[0].price)).toBeLessThan(Number(book.asks[0].price));
    });
  },
);
