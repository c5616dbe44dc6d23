import { ReportCollector } from '../actors/backtest/collector';
import { MarketState } from '../domain/market/marketState';
import { makeEvent, type AnyEvent, type BookLevel } from '../events/types';

const TOKEN = 'tok-up';
const book = (ts: number, bid: string, ask: string) =>
  makeEvent('book', ts, { source: 'clob_ws', tokenId: TOKEN, market: 'cond-1', bids: [{ price: bid, size: '100' }] as BookLevel[], asks: [{ price: ask, size: '100' }] as BookLevel[], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
const timer = (ts: number) => makeEvent('timer', ts, { name: 'tick' });
const intent = (ts: number, id: string, side: 'BUY' | 'SELL', price: string) =>
  makeEvent('order_intent', ts, { orderId: id, strategy: 'flashCrash', marketId: 'm-1', tokenId: TOKEN, outcome: 'Up', side, price, size: '10', orderType: 'limit', reason: side === 'BUY' ? 'entry' : 'take profit', groupId: null });
const fill = (ts: number, id: string, side: 'BUY' | 'SELL', price: string) =>
  makeEvent('fill', ts, { orderId: id, strategy: 'flashCrash', marketId: 'm-1', tokenId: TOKEN, side, price, size: '10', fee: '0', partial: false });

describe('the report collector samples equity once a second of event time', () => {
  it('marks an open position at the best bid each second, and holds the figures while flat', () => {
    const markets = new MarketState();
    const collector = new ReportCollector('1000', markets, 30_000, ['flashCrash'], 10_000);
    const feed = (e: AnyEvent) => {
      markets.apply(e);
      collector.react(e);
    };
    feed(timer(1_000));
    feed(book(1_500, '0.49', '0.51'));
    feed(timer(2_000));
    feed(intent(2_500, 'o1', 'BUY', '0.50'));
    feed(fill(2_500, 'o1', 'BUY', '0.50')); // cash 995 + 10 x 0.49
    feed(book(3_000, '0.40', '0.42')); // no portfolio event: the price alone moves the equity
    feed(timer(3_500)); // 995 + 10 x 0.40 = 999
    feed(book(4_000, '0.60', '0.62'));
    feed(timer(4_600)); // 995 + 6 = 1001: a new peak
    feed(intent(5_000, 'o2', 'SELL', '0.60'));
    feed(fill(5_000, 'o2', 'SELL', '0.60')); // flat: cash 1001
    feed(book(6_000, '0.10', '0.12')); // flat: prices move nothing
    feed(timer(6_500));
    feed(timer(90_000_000)); // the next UTC day
    const report = collector.finish();
    expect(report.charts.equity).toEqual([
      { ts: 1_000, value: 1000 },
      { ts: 2_000, value: 1000 },
      { ts: 2_500, value: 999.9 },
      { ts: 3_500, value: 999 },
      { ts: 4_600, value: 1001 },
      { ts: 5_000, value: 1001 },
      { ts: 6_000, value: 1001 }, // the book is an event too; 6 500 is within the second
      { ts: 90_000_000, value: 1001 },
      { ts: 90_000_000, value: 1001 },
    ]);
    expect(report.charts.drawdown.map((p) => p.value)).toEqual([0, 0, 0.1, 1, 0, 0, 0, 0, 0]);
    expect(report.total.maxDrawdown).toBe('1.00');
    expect(report.total.maxExposure).toBe('5.00');
    expect(report.strategies.flashCrash.maxDrawdown).toBe('1.00');
    expect(report.total.netPnl).toBe('1.00');
    expect(report.performance.total.returnPct).toBeCloseTo(0.1, 10);
  });
});
