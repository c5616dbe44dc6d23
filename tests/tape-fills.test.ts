import { TapeAwareBroker, TapeFills } from '../actors/execution/tapeFills';
import { PaperBroker } from '../actors/execution/paperBroker';
import { makeEvent, type LastTradeEvent } from '../events/types';
import { derivedUpDownMarket } from '../actors/venues/polymarket/history';
import { book, context, intent, levels } from './support/execution';

// The market of a real window (BTC 15m, 2025-12-11 11:00 UTC), ids derived as the collector importer does.
const info = derivedUpDownMarket({ asset: 'btc', minutes: 15, startSec: 1765450800 });
const UP = info.tokenIds[0];
const T0 = 1765451522389; // 11:12:02.389, the crash
const tapeMarket = context(info, null, T0, { lastTradeTs: T0, quote: { bid: '0.64', ask: '0.64' } });
let seq = 100;
const print = (ts: number, price: string, size: string, tokenId = UP): LastTradeEvent => ({ ...makeEvent('last_trade', ts, { market: info.conditionId, tokenId, price, size, side: 'SELL' }), seq: seq++ });

describe('tape fills: only prints through the price, at most their size, after the latency', () => {
  it('a BUY at 0.64 ignores prints during its latency and at its price; fills at 0.64 from prints below, capped by their size', () => {
    const tape = new TapeFills({ latencyMs: 250, windowMs: 5000 });
    const buy = intent({ tokenId: UP, marketId: info.id, side: 'BUY', price: '0.64', size: '20', ts: T0 });
    tape.accept(buy, tapeMarket, T0);
    expect(tape.onInput(print(T0 + 100, '0.60', '50'))).toEqual([]); // still on its way
    expect(tape.onInput(print(T0 + 300, '0.64', '50'))).toEqual([]); // at the price: the queue ahead is unknown
    const first = tape.onInput(print(T0 + 400, '0.63', '12.5'));
    expect(first).toMatchObject([{ type: 'fill', orderId: buy.orderId, price: '0.64', size: '12.5', partial: false, model: 'tape', fee: '0' }]);
    const second = tape.onInput(print(T0 + 500, '0.60', '345.66'));
    expect(second).toMatchObject([{ type: 'fill', size: '7.5', model: 'tape' }]);
    expect(tape.waiting).toBe(0);
  });

  it('two orders share one print: together they take no more than it traded', () => {
    const tape = new TapeFills({ latencyMs: 0, windowMs: 5000 });
    const a = intent({ tokenId: UP, marketId: info.id, side: 'BUY', price: '0.70', size: '8', ts: T0 });
    const b = intent({ tokenId: UP, marketId: info.id, side: 'BUY', price: '0.70', size: '8', ts: T0 });
    tape.accept(a, tapeMarket, T0);
    tape.accept(b, tapeMarket, T0);
    const out = tape.onInput(print(T0 + 10, '0.65', '10'));
    expect(out.map((f) => (f.type === 'fill' ? [f.orderId, f.size] : null))).toEqual([
      [a.orderId, '8'],
      [b.orderId, '2'],
    ]);
  });

  it('a SELL fills from prints above its price; what is left when the window closes ends as tape_unfilled', () => {
    const tape = new TapeFills({ latencyMs: 250, windowMs: 1000 });
    const sell = intent({ tokenId: UP, marketId: info.id, side: 'SELL', price: '0.63', size: '7.81', ts: T0 });
    tape.accept(sell, tapeMarket, T0);
    expect(tape.onInput(print(T0 + 300, '0.62', '100'))).toEqual([]); // below a SELL's price: no fill
    expect(tape.onInput(print(T0 + 400, '0.66', '7'))).toMatchObject([{ type: 'fill', side: 'SELL', price: '0.63', size: '7' }]);
    expect(tape.onInput(print(T0 + 1300, '0.66', '7', info.tokenIds[1]))).toMatchObject([
      { type: 'risk_rejection', orderId: sell.orderId, reason: 'tape_unfilled', detail: 'tape-only market: filled 7 of 7.81; no more prints through 0.63 within 1000 ms' },
    ]);
    expect(tape.waiting).toBe(0);
  });

  it('a cancel takes a resting tape order off the tape: it ends as cancelled with what it filled, and fills no more', () => {
    const broker = new TapeAwareBroker(new PaperBroker(), { windowMs: 60_000 });
    const buy = intent({ orderId: 'tape-c', tokenId: UP, marketId: info.id, side: 'BUY', price: '0.64', size: '20', ts: T0 });
    expect(broker.execute(buy, tapeMarket, T0)).toBeNull();
    expect(broker.onInput(print(T0 + 10, '0.63', '5'))).toMatchObject([{ type: 'fill', size: '5' }]);
    const cancel = makeEvent('cancel_intent', T0 + 30_000, { orderId: 'tape-c', strategy: buy.strategy, reason: 'order_timeout', detail: '' });
    expect(broker.cancel([cancel], T0 + 30_000)).toEqual([
      makeEvent('risk_rejection', T0 + 30_000, { orderId: 'tape-c', strategy: buy.strategy, reason: 'cancelled', detail: 'cancelled: filled 5 of 20 on the tape' }),
    ]);
    expect(broker.tape.waiting).toBe(0);
    expect(broker.onInput(print(T0 + 30_010, '0.60', '100'))).toEqual([]);
    // Cancelling again, or an order that never rested (a book fill): nothing to answer.
    expect(broker.cancel([cancel], T0 + 30_020)).toEqual([]);
  });

  it('the broker walks books where there are books, waits for the tape where there is none, and refuses tape groups', () => {
    const broker = new TapeAwareBroker(new PaperBroker(), { windowMs: 5000 });
    const withBook = context(info, book(UP, T0, levels(['0.65', '100'])));
    const buy = intent({ tokenId: UP, marketId: info.id, side: 'BUY', price: '0.66', size: '10', ts: T0 });
    expect(broker.execute(buy, withBook, T0)).toMatchObject({ type: 'fill', price: '0.65', size: '10' });
    expect((broker.execute(buy, withBook, T0) as { model?: string }).model).toBeUndefined();
    expect(broker.execute(intent({ tokenId: UP, marketId: info.id, side: 'BUY', price: '0.64', size: '5', ts: T0 }), tapeMarket, T0)).toBeNull();
    expect(broker.tape.waiting).toBe(1);
    const legs = [intent({ tokenId: UP, marketId: info.id, groupId: 'g' }), intent({ tokenId: info.tokenIds[1], marketId: info.id, groupId: 'g' })];
    expect(broker.executeGroup(legs, () => tapeMarket, T0).map((r) => r.type === 'risk_rejection' && r.reason)).toEqual(['no_book', 'no_book']);
  });
});
