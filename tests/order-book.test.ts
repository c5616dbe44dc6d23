import { OrderBook } from '../domain/market/orderBook';
import type { BookEvent, BookLevel } from '../events/types';
import { demoTrades, modelEvents } from './support/modelQuotes';

/** The book's best levels as read lazily from the snapshot, and as read after folding it into the price maps. */
function bothWays(bids: readonly BookLevel[], asks: readonly BookLevel[]) {
  const lazy = OrderBook.fromSnapshot('t', 1, bids, asks);
  const folded = OrderBook.fromSnapshot('t', 1, bids, asks);
  folded.bids();
  folded.asks();
  const read = (b: OrderBook) => ({ bid: b.bestBid() === null ? null : { ...b.bestBid()! }, ask: b.bestAsk() === null ? null : { ...b.bestAsk()! } });
  return { lazy: read(lazy), folded: read(folded), lazyBook: lazy };
}

const level = (price: string, size: string): BookLevel => ({ price, size });

describe('order book made from a snapshot (read lazily)', () => {
  it('gives the best levels the price maps give, on every model book of the demo file (shared frozen levels)', () => {
    const books = modelEvents(demoTrades()).filter((e): e is BookEvent => e.type === 'book');
    expect(books.length).toBeGreaterThan(1000);
    for (const b of books) {
      const { lazy, folded } = bothWays(b.bids, b.asks);
      expect(lazy).toEqual(folded);
      expect(lazy.bid).not.toBeNull();
    }
  });

  it.each([
    ['unsorted sides', [level('0.48', '10'), level('0.5', '20'), level('0.49', '5')], [level('0.53', '1'), level('0.51', '2'), level('0.52', '3')]],
    ['one price twice: the last size counts', [level('0.5', '10'), level('0.4', '1'), level('0.50', '30')], [level('0.6', '1'), level('0.60', '0'), level('0.6', '7')]],
    ['"0.50" and "0.5" are one level, written canonically', [level('0.50', '10')], [level('0.70', '3'), level('0.7', '4')]],
    ['levels of size 0 are none', [level('0.9', '0'), level('0.4', '2')], [level('0.1', '0.0'), level('0.3', '1')]],
    ['empty and all-zero sides', [], [level('0.2', '0')]],
    ['equal numbers written differently: the first wins', [level('1e-1', '3'), level('0.1', '4')], [level('0.2', '1'), level('2e-1', '2')]],
  ])('%s: as the price maps', (_name, bids, asks) => {
    const { lazy, folded } = bothWays(bids, asks);
    expect(lazy).toEqual(folded);
    const frozen = bothWays(Object.freeze(bids.map((l) => Object.freeze({ ...l }))), Object.freeze(asks.map((l) => Object.freeze({ ...l }))));
    expect(frozen.lazy).toEqual(folded);
  });

  it('a change folds the snapshot in first', () => {
    const { lazyBook } = bothWays([level('0.5', '10'), level('0.49', '5')], [level('0.52', '3')]);
    lazyBook.set('BUY', '0.5', '0', 2);
    expect(lazyBook.bestBid()).toEqual({ price: '0.49', size: '5' });
    expect(lazyBook.bids()).toEqual([{ price: '0.49', size: '5' }]);
    lazyBook.set('SELL', '0.51', '8', 3);
    expect(lazyBook.bestAsk()).toEqual({ price: '0.51', size: '8' });
    expect(lazyBook.updatedTs).toBe(3);
  });
});
