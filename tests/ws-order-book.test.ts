import fc from 'fast-check';
import { OrderBook } from '../domain/market/orderBook';

/** Any sequence of level changes, with the top read between them, gives the best bid/ask of an independently kept book. */
describe('OrderBook best bid/ask kept incrementally', () => {
  const price = fc.integer({ min: 1, max: 40 }).map((i) => (i / 100).toString());
  const op = fc.record({
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    price,
    size: fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 500 }).map(String)),
    read: fc.boolean(),
    readAll: fc.boolean(),
  });

  it('matches a reference after every change', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ price, size: fc.integer({ min: 1, max: 9 }).map(String) }), { maxLength: 5 }), fc.array(op, { maxLength: 60 }), (snapshot, ops) => {
        const book = OrderBook.fromSnapshot('t', 0, snapshot, snapshot.map((l) => ({ price: (Number(l.price) + 0.5).toString(), size: l.size })));
        const ref = { BUY: new Map<number, string>(), SELL: new Map<number, string>() };
        for (const l of snapshot) ref.BUY.set(Number(l.price), l.size);
        for (const l of snapshot) ref.SELL.set(Number(l.price) + 0.5, l.size);
        ops.forEach((o, i) => {
          book.set(o.side, o.price, o.size, i);
          if (o.size === '0') ref[o.side].delete(Number(o.price));
          else ref[o.side].set(Number(o.price), o.size);
          if (o.readAll) book.bids(); // a full read in between must not confuse the incremental top
          if (!o.read) return;
          const bidP = ref.BUY.size ? Math.max(...ref.BUY.keys()) : null;
          const askP = ref.SELL.size ? Math.min(...ref.SELL.keys()) : null;
          const bb = book.bestBid();
          const ba = book.bestAsk();
          expect(bb && [Number(bb.price), bb.size]).toEqual(bidP === null ? null : [bidP, ref.BUY.get(bidP)]);
          expect(ba && [Number(ba.price), ba.size]).toEqual(askP === null ? null : [askP, ref.SELL.get(askP)]);
        });
      }),
      { numRuns: 300 },
    );
  });
});
