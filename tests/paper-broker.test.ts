import Big from 'big.js';
import { readFileSync } from 'node:fs';
import type { BookLevel, FillEvent, RiskRejectionEvent } from '../events/types';
import type { BrokerResult } from '../actors/execution/broker';
import { PaperBroker, averagePrice } from '../actors/execution/paperBroker';
import { OrderBook } from '../domain/market/orderBook';
import { describeWithShared } from './support/shared';
import { book, context, crypto7, intent, levels, marketInfo } from './support/execution';

const TS = 1_700_000_000_000;

function asFill(r: BrokerResult): FillEvent {
  if (r.type !== 'fill') throw new Error(`expected a fill, got ${r.reason}: ${r.detail}`);
  return r;
}
function asRejection(r: BrokerResult): RiskRejectionEvent {
  if (r.type !== 'risk_rejection') throw new Error(`expected a rejection, got a fill of ${r.size}`);
  return r;
}

/** Asks given out of order, as some sources send them. */
const asks = () => levels(['0.45', '50'], ['0.40', '10'], ['0.42', '20']);
const bids = () => levels(['0.35', '40'], ['0.38', '15'], ['0.37', '25']);
const feeMarket = () => marketInfo(crypto7);
const ctx = (ts = TS) => context(feeMarket(), book('yes1', ts, asks(), bids()));

describe('paper broker on a book built in the test', () => {
  it('walks the asks from the best price, averaging the levels, with the taker fee per level', () => {
    const f = asFill(new PaperBroker().execute(intent({ price: '0.45', size: '25' }), ctx(), TS));
    // 10 at 0.40 and 15 at 0.42
    const notional = new Big('0.40').times(10).plus(new Big('0.42').times(15)); // 10.3
    expect(f.size).toBe('25');
    expect(f.price).toBe(notional.div(25).toFixed()); // 0.412
    const fee = new Big(10).times('0.07').times('0.40').times('0.60').plus(new Big(15).times('0.07').times('0.42').times('0.58'));
    expect(f.fee).toBe(fee.round(5, Big.roundDown).toFixed()); // 0.168 + 0.25578
    expect(f.fee).toBe('0.42378');
    expect(f.partial).toBe(false);
    expect(f).toMatchObject({ type: 'fill', ts: TS, strategy: 's1', marketId: 'm1', tokenId: 'yes1', side: 'BUY' });
  });

  it('stops at the limit price and fills partially when depth is short', () => {
    const f = asFill(new PaperBroker().execute(intent({ price: '0.42', size: '100', orderType: 'limit' }), ctx(), TS));
    expect(f.size).toBe('30'); // 10 at 0.40 + 20 at 0.42, nothing at 0.45
    expect(f.price).toBe(new Big('4').plus('8.4').div(30).round(8, Big.roundUp).toFixed()); // 12.4 / 30
    expect(f.partial).toBe(true);
  });

  it('FOK fills whole or is rejected', () => {
    const short = asRejection(new PaperBroker().execute(intent({ price: '0.42', size: '30.01', orderType: 'fok' }), ctx(), TS));
    expect(short.reason).toBe('fok_unfilled');
    const whole = asFill(new PaperBroker().execute(intent({ price: '0.42', size: '30', orderType: 'fok' }), ctx(), TS));
    expect(whole.size).toBe('30');
    expect(whole.partial).toBe(false);
  });

  it('rejects an order nothing in the book crosses', () => {
    expect(asRejection(new PaperBroker().execute(intent({ price: '0.39' }), ctx(), TS)).reason).toBe('no_liquidity');
    expect(asRejection(new PaperBroker().execute(intent({ side: 'SELL', price: '0.39' }), ctx(), TS)).reason).toBe('no_liquidity');
  });

  it('walks the bids for a sell, best (highest) first', () => {
    const f = asFill(new PaperBroker().execute(intent({ side: 'SELL', price: '0.36', size: '30' }), ctx(), TS));
    // 15 at 0.38, 15 at 0.37; 0.35 is below the limit
    const notional = new Big('0.38').times(15).plus(new Big('0.37').times(15));
    expect(f.price).toBe(notional.div(30).toFixed()); // 0.375
    const fee = new Big(15).times('0.07').times('0.38').times('0.62').plus(new Big(15).times('0.07').times('0.37').times('0.63'));
    expect(f.fee).toBe(fee.round(5, Big.roundDown).toFixed());
  });

  it('rounds an average price that does not terminate against the trader', () => {
    const b = book('yes1', TS, levels(['0.41', '10'], ['0.42', '20']), levels(['0.41', '10'], ['0.40', '20']));
    const buy = asFill(new PaperBroker().execute(intent({ price: '0.42', size: '30' }), context(marketInfo(), b), TS));
    expect(buy.price).toBe('0.41666667'); // 12.5 / 30 = 0.41666..., rounded up for a buy
    const sell = asFill(new PaperBroker().execute(intent({ side: 'SELL', price: '0.40', size: '30' }), context(marketInfo(), b), TS));
    expect(sell.price).toBe('0.40333333'); // 12.1 / 30 = 0.40333..., rounded down for a sell
    expect(averagePrice(new Big('2'), new Big('3'), 'up').toFixed()).toBe('0.66666667');
    expect(averagePrice(new Big('2'), new Big('3'), 'down').toFixed()).toBe('0.66666666');
  });

  it('does not sell the same liquidity twice until the book shows it replenished', () => {
    const broker = new PaperBroker();
    const b = book('yes1', TS, asks(), bids());
    const first = asFill(broker.execute(intent({ price: '0.42', size: '25' }), context(feeMarket(), b), TS));
    expect(first.size).toBe('25');
    const second = asFill(broker.execute(intent({ price: '0.42', size: '25' }), context(feeMarket(), b), TS));
    expect(second.size).toBe('5'); // 30 within the limit, 25 already taken
    expect(second.price).toBe('0.42');
    b.set('SELL', '0.42', '20', TS + 1); // a new version of the book showing the same 20: nothing came back
    expect(asRejection(broker.execute(intent({ price: '0.42', size: '25' }), context(feeMarket(), b), TS + 1)).reason).toBe('no_liquidity');
    b.set('SELL', '0.42', '32', TS + 2); // the level grew by 12: 12 of our 20 count as replenished, 8 still taken
    const third = asFill(broker.execute(intent({ price: '0.42', size: '30' }), context(feeMarket(), b), TS + 2));
    expect(third.size).toBe('24');
    expect(third.price).toBe('0.42');
    b.set('SELL', '0.42', '5', TS + 3); // others took from the level: what we took cannot exceed what is left
    expect(asRejection(broker.execute(intent({ price: '0.42', size: '5' }), context(feeMarket(), b), TS + 3)).reason).toBe('no_liquidity');
    b.set('SELL', '0.42', '30', TS + 4); // 25 more: our 5 are replenished, all 30 are there
    expect(asFill(broker.execute(intent({ price: '0.42', size: '40' }), context(feeMarket(), b), TS + 4)).size).toBe('30');
    // a different broker (a replay) gives the same answers for the same calls
    const again = new PaperBroker();
    const b2 = book('yes1', TS, asks(), bids());
    const replay = [again.execute({ ...intent({ price: '0.42', size: '25' }), orderId: first.orderId }, context(feeMarket(), b2), TS)];
    expect(JSON.stringify(replay[0])).toBe(JSON.stringify(first));
  });
});

describe('paper broker without a book (Gamma snapshot only)', () => {
  const snapshotOnly = context(marketInfo(crypto7), null, TS, { quote: { bid: '0.49', ask: '0.51' } });

  it('rejects with no_book by default: the depth is unknown', () => {
    expect(asRejection(new PaperBroker().execute(intent({ price: '0.55' }), snapshotOnly, TS)).reason).toBe('no_book');
  });

  it('fills at the snapshot price up to an explicitly assumed depth', () => {
    const broker = new PaperBroker({ assumeSnapshotDepth: '20' });
    const f = asFill(broker.execute(intent({ price: '0.55', size: '30' }), snapshotOnly, TS));
    expect([f.price, f.size, f.partial]).toEqual(['0.51', '20', true]);
    expect(f.fee).toBe(new Big(20).times('0.07').times('0.51').times('0.49').round(5, Big.roundDown).toFixed());
    const s = asFill(broker.execute(intent({ side: 'SELL', price: '0.45', size: '10' }), snapshotOnly, TS));
    expect([s.price, s.size]).toEqual(['0.49', '10']);
    expect(asRejection(broker.execute(intent({ price: '0.50' }), snapshotOnly, TS)).reason).toBe('no_liquidity');
  });
});

describe('paper broker groups: every leg fills completely or none does', () => {
  const legs = (sizeB: string) => [intent({ groupId: 'g', tokenId: 'a', marketId: 'mA', price: '0.30', size: '10' }), intent({ groupId: 'g', tokenId: 'b', marketId: 'mB', price: '0.30', size: sizeB })];
  const books = new Map([
    ['a', book('a', TS, levels(['0.30', '50']))],
    ['b', book('b', TS, levels(['0.30', '10']))],
  ]);
  const market = (tokenId: string) => context(marketInfo({ id: `m${tokenId.toUpperCase()}` }), books.get(tokenId)!);

  it('fills both legs when both books are deep enough', () => {
    const out = new PaperBroker().executeGroup(legs('10'), market, TS).map(asFill);
    expect(out.map((f) => [f.tokenId, f.size])).toEqual([['a', '10'], ['b', '10']]);
  });

  it('rejects every leg, and takes no liquidity, when one leg would fill partially', () => {
    const broker = new PaperBroker();
    const out = broker.executeGroup(legs('10.01'), market, TS).map(asRejection);
    expect(out.map((r) => r.reason)).toEqual(['group_unfilled', 'group_unfilled']);
    expect(out[0].detail).toContain(out[1].orderId);
    // the failed group left leg a's liquidity alone
    expect(asFill(broker.execute(intent({ tokenId: 'a', price: '0.30', size: '50' }), market('a'), TS)).size).toBe('50');
  });
});

/** The walk computed independently: sort the raw levels by price, take until the limit or the size. */
function expectedWalk(raw: BookLevel[], side: 'BUY' | 'SELL', limit: string, want: string) {
  const sorted = [...raw].sort((x, y) => (side === 'BUY' ? Number(x.price) - Number(y.price) : Number(y.price) - Number(x.price)));
  let left = new Big(want);
  const taken: { price: Big; size: Big }[] = [];
  for (const l of sorted) {
    const p = new Big(l.price);
    if ((side === 'BUY' && p.gt(limit)) || (side === 'SELL' && p.lt(limit)) || left.eq(0)) break;
    const size = new Big(l.size).lt(left) ? new Big(l.size) : left;
    if (size.gt(0)) taken.push({ price: p, size });
    left = left.minus(size);
  }
  const size = taken.reduce((s, t) => s.plus(t.size), new Big(0));
  const notional = taken.reduce((s, t) => s.plus(t.price.times(t.size)), new Big(0));
  const fee = taken.reduce((s, t) => s.plus(t.size.times('0.07').times(t.price).times(new Big(1).minus(t.price))), new Big(0));
  return { size, notional, fee: fee.round(5, Big.roundDown) };
}

describeWithShared('paper broker on a recorded CLOB book (NautilusTrader, LGPL: read in place)', ['polymarket/nautilus_trader/http_responses/book.json'], ([file]) => {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { asset_id: string; bids: BookLevel[]; asks: BookLevel[]; timestamp: string };
  const ts = Number(raw.timestamp);
  const b = OrderBook.fromSnapshot(raw.asset_id, ts, raw.bids, raw.asks);
  const m = marketInfo({ tokenIds: [raw.asset_id, 'other'] });

  it('buys through the unsorted asks from the true best (0.14), not from index 0 (0.98)', () => {
    const f = asFill(new PaperBroker().execute(intent({ tokenId: raw.asset_id, price: '0.40', size: '800' }), context(m, b), ts));
    // by hand: 705 at 0.14 + 70 at 0.2 + 25 at 0.38 = 98.7 + 14 + 9.5 = 122.2; 122.2 / 800 = 0.15275
    expect([f.size, f.price, f.fee, f.partial]).toEqual(['800', '0.15275', '0', false]);
  });

  it('sells through the bids from the best (0.1) down to the limit', () => {
    const f = asFill(new PaperBroker().execute(intent({ tokenId: raw.asset_id, side: 'SELL', price: '0.08', size: '600' }), context(m, b), ts));
    // by hand: 125 at 0.1 + 294 at 0.09 + 120 at 0.08 = 539 shares, 12.5 + 26.46 + 9.6 = 48.56
    expect([f.size, f.price, f.partial]).toEqual(['539', new Big('48.56').div(539).round(8, Big.roundDown).toFixed(), true]);
  });
});

describeWithShared('paper broker on 248 recorded full-depth books (SOL 15-minute Up, caiooooo: read in place)', ['polymarket/caiooooo_l2_collector/15m/sol/orderbooks/1765450800up.json'], ([file]) => {
  const snapshots = JSON.parse(readFileSync(file, 'utf8')) as { bids: BookLevel[]; asks: BookLevel[]; timestamp: string }[];
  const m = marketInfo({ ...crypto7, tokenIds: ['sol-up', 'sol-down'] });

  it('matches the independent walk on every snapshot, buying and selling, fees included', () => {
    let fills = 0;
    let partials = 0;
    let empty = 0;
    for (const s of snapshots) {
      const ts = Number(s.timestamp);
      const b = OrderBook.fromSnapshot('sol-up', ts, s.bids, s.asks);
      const bestAsk = s.asks.length > 0 ? Math.min(...s.asks.map((l) => Number(l.price))) : null;
      const bestBid = s.bids.length > 0 ? Math.max(...s.bids.map((l) => Number(l.price))) : null;
      const cases = [
        { side: 'BUY' as const, limit: bestAsk === null ? '0.99' : new Big(Math.min(0.99, bestAsk + 0.03).toFixed(2)).toFixed() },
        { side: 'SELL' as const, limit: bestBid === null ? '0.01' : new Big(Math.max(0.01, bestBid - 0.03).toFixed(2)).toFixed() },
      ];
      for (const c of cases) {
        const result = new PaperBroker().execute(intent({ tokenId: 'sol-up', side: c.side, price: c.limit, size: '300' }), context(m, b), ts);
        const want = expectedWalk(c.side === 'BUY' ? s.asks : s.bids, c.side, c.limit, '300');
        if (want.size.eq(0)) {
          expect(asRejection(result).reason).toBe('no_liquidity');
          empty++;
          continue;
        }
        const f = asFill(result);
        fills++;
        expect(f.size).toBe(want.size.toFixed());
        expect(f.fee).toBe(want.fee.toFixed());
        expect(f.partial).toBe(want.size.lt(300));
        if (f.partial) partials++;
        // the rounded average is within one step of 1e-8 of the exact one, on the trader's bad side
        const exact = want.notional.div(want.size);
        const diff = new Big(f.price).minus(exact).times(c.side === 'BUY' ? 1 : -1);
        expect(diff.gte(0) && diff.lt('0.00000001')).toBe(true);
      }
    }
    // the recording has both deep and thin moments, and two snapshots without asks
    expect(fills).toBeGreaterThan(400);
    expect(partials).toBeGreaterThan(0);
    expect(empty).toBeGreaterThanOrEqual(2);
  });
});
