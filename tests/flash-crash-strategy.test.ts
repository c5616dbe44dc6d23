import Big from 'big.js';
import { flashCrashSchema } from '../actors/config/schema';
import { marketContext } from '../actors/execution/marketContext';
import { PaperBroker } from '../actors/execution/paperBroker';
import { createFlashCrashStrategy } from '../actors/strategies/flashCrash';
import type { StrategyContext } from '../actors/strategies/types';
import { makeEvent, type AnyEvent, type BookLevel, type DerivedEvent, type MarketInfo, type OrderIntentEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { DOWN_TOKEN, END_TS, UP_TOKEN, USD_EXITS, btc15mMarket } from './flash-crash.support';

/**
 * The strategy as the engine runs it: the market-state fold first, then the strategy, and every
 * order intent through the real paper broker (walking the book, the market's fee schedule), whose
 * fill or rejection goes back to the strategy.
 */
class Harness {
  readonly markets = new MarketState();
  readonly broker = new PaperBroker();
  readonly out: DerivedEvent[] = [];
  constructor(public strategy: ReturnType<typeof createFlashCrashStrategy>) {}

  feed(event: AnyEvent): void {
    this.markets.apply(event);
    const queue: AnyEvent[] = [event];
    while (queue.length > 0) {
      const e = queue.shift()!;
      const ctx: StrategyContext = { now: e.ts, markets: this.markets, position: () => '0' };
      for (const d of this.strategy.react(e, ctx) as DerivedEvent[]) {
        this.out.push(d);
        if (d.type === 'order_intent') {
          const result = this.broker.execute(d, marketContext(this.markets, d.tokenId), d.ts);
          this.out.push(result);
          queue.push(result);
        }
      }
    }
  }

  intents(): OrderIntentEvent[] {
    return this.out.filter((e): e is OrderIntentEvent => e.type === 'order_intent');
  }
}

const T0 = END_TS - 600_000;
const crypto7 = { feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true } };
const lv = (...pairs: [string, string][]): BookLevel[] => pairs.map(([price, size]) => ({ price, size }));

const snapshot = (ts: number, markets: MarketInfo[]) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets?closed=false&limit=100', markets });
// CLOB sends bids ascending and asks descending; the book sorts them.
const book = (ts: number, tokenId: string, bids: BookLevel[], asks: BookLevel[]) =>
  makeEvent('book', ts, { source: 'clob_ws', tokenId, market: btc15mMarket().conditionId, bids, asks, tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
const delta = (ts: number, changes: [string, 'BUY' | 'SELL', string, string][]) =>
  makeEvent('book_delta', ts, { market: btc15mMarket().conditionId, changes: changes.map(([tokenId, side, price, size]) => ({ tokenId, side, price, size })) });
const timer = (ts: number) => makeEvent('timer', ts, { name: 'scan' });

/** Up trades 0.79/0.80, then its book empties down to bid 0.63 / ask 0.64: the mid falls 0.795 -> 0.635 (-20.1 %). */
function crashScript(market: MarketInfo): AnyEvent[] {
  return [
    snapshot(T0, [market]),
    book(T0 + 1_000, UP_TOKEN, lv(['0.78', '200'], ['0.79', '100']), lv(['0.81', '300'], ['0.80', '100'])),
    delta(T0 + 4_000, [
      [UP_TOKEN, 'BUY', '0.79', '0'],
      [UP_TOKEN, 'BUY', '0.78', '0'],
      [UP_TOKEN, 'BUY', '0.63', '50'],
      [UP_TOKEN, 'SELL', '0.80', '0'],
      [UP_TOKEN, 'SELL', '0.81', '0'],
      [UP_TOKEN, 'SELL', '0.64', '20'],
    ]),
    // The bid recovers to 0.70.
    delta(T0 + 20_000, [[UP_TOKEN, 'BUY', '0.70', '40']]),
  ];
}

describe('flash-crash strategy: routing with the market state and the paper broker', () => {
  const cfg = flashCrashSchema.parse({ ...USD_EXITS, stopLossUsd: '1' });

  it('buys the crash at the book ask, takes profit at the bid net of fees, and cools the whole market down', () => {
    const h = new Harness(createFlashCrashStrategy(cfg));
    for (const e of crashScript(btc15mMarket(crypto7))) h.feed(e);

    const [buy, sell] = h.intents();
    const size = new Big(5).div('0.64').round(2, Big.roundDown); // 7.81
    expect(buy).toMatchObject({ orderId: `flashCrash:${UP_TOKEN}:1`, side: 'BUY', price: '0.64', size: size.toString(), tokenId: UP_TOKEN, outcome: 'Up', marketId: '905021' });
    // The broker took the buy fee in shares: 0.07 x 7.81 x 0.64 x 0.36, floored to 5 decimals, / 0.64.
    const buyFee = new Big('0.07').times(size).times('0.64').times('0.36').round(5, Big.roundDown);
    const shares = size.minus(buyFee.div('0.64').round(6, Big.roundHalfUp));
    // At the bid 0.63 the position is under water (no exit); at 0.70 it is up more than $0.10 after the exit fee.
    const pnlAt = (p: string) => shares.times(new Big(p).minus(new Big('0.07').times(p).times(new Big(1).minus(p)))).minus(size.times('0.64'));
    expect(pnlAt('0.63').lt(0)).toBe(true);
    expect(pnlAt('0.70').gte('0.10')).toBe(true);
    expect(sell).toMatchObject({ orderId: `flashCrash:${UP_TOKEN}:2`, side: 'SELL', price: '0.7', size: shares.round(2, Big.roundDown).toString() });
    expect(sell.reason).toMatch(/^take_profit/);
    expect(h.out.filter((e) => e.type === 'fill').map((e) => (e as { partial: boolean }).partial)).toEqual([false, false]);
    // The Down token (seen in the snapshot) is cooled down by the Up exit: the cooldown is per market.
    expect(h.strategy.states()).toEqual({ [DOWN_TOKEN]: 'cooldown', [UP_TOKEN]: 'cooldown' });
    const states = h.out.filter((e) => e.type === 'strategy_state' && (e as { key: string }).key === UP_TOKEN).map((e) => (e as { to: string }).to);
    expect(states).toEqual(['entering', 'holding', 'exiting', 'cooldown']);
  });

  it('sees a crash in Gamma outcome prices; the broker rejects it for want of a book and the token cools down', () => {
    const h = new Harness(createFlashCrashStrategy(cfg));
    h.feed(snapshot(T0, [btc15mMarket({ outcomePrices: ['0.8', '0.2'], bestBid: '0.79', bestAsk: '0.81' })]));
    h.feed(snapshot(T0 + 2_000, [btc15mMarket({ outcomePrices: ['0.6', '0.4'], bestBid: '0.59', bestAsk: '0.61' })]));
    const [buy] = h.intents();
    expect(buy).toMatchObject({ side: 'BUY', tokenId: UP_TOKEN, price: '0.61', size: new Big(5).div('0.61').round(2, Big.roundDown).toString() });
    expect(h.out.find((e) => e.type === 'risk_rejection')).toMatchObject({ reason: 'no_book' });
    expect(h.strategy.states()).toEqual({ [DOWN_TOKEN]: 'watching', [UP_TOKEN]: 'cooldown' });
  });

  it('never trades a token whose book feed is stale, even on a trade-price crash', () => {
    const h = new Harness(createFlashCrashStrategy(cfg));
    const [snap, firstBook] = crashScript(btc15mMarket());
    h.feed(snap);
    h.feed(firstBook);
    h.feed(makeEvent('feed_status', T0 + 2_000, { feed: 'clob_ws', status: 'stale', detail: 'no message for 15000 ms' }));
    h.feed(makeEvent('last_trade', T0 + 3_000, { market: btc15mMarket().conditionId, tokenId: UP_TOKEN, price: '0.6', size: '50', side: 'SELL' }));
    expect(h.intents()).toEqual([]);
    expect(h.strategy.states()[UP_TOKEN]).toBe('watching');
  });

  it('exits on a timer after the maximum holding time, and stops on resolution', () => {
    const h = new Harness(createFlashCrashStrategy(flashCrashSchema.parse({ ...USD_EXITS, stopLossUsd: '1', maxHoldMs: 60_000 })));
    for (const e of crashScript(btc15mMarket()).slice(0, 3)) h.feed(e);
    expect(h.strategy.states()[UP_TOKEN]).toBe('holding');
    h.feed(timer(T0 + 4_000 + 59_999));
    expect(h.intents()).toHaveLength(1);
    h.feed(timer(T0 + 4_000 + 60_000));
    expect(h.intents()[1]).toMatchObject({ side: 'SELL', price: '0.63' });
    expect(h.intents()[1].reason).toMatch(/^max_hold/);
    const before = h.out.length;
    h.feed(makeEvent('market_resolved', END_TS, { market: btc15mMarket().conditionId, winningTokenId: UP_TOKEN, winningOutcome: 'Up' }));
    expect(h.out.slice(before).filter((e) => e.type === 'strategy_state').map((e) => e.type === 'strategy_state' && [e.key, e.to]).sort()).toEqual([
      [DOWN_TOKEN, 'resolved'],
      [UP_TOKEN, 'resolved'],
    ]);
    // `resolved` is final: both instances are dropped, so memory does not grow with past markets.
    expect(h.strategy.states()).toEqual({});
  });

  it('is deterministic, and persist() -> restore() in mid-position continues identically', () => {
    const script = crashScript(btc15mMarket(crypto7));
    const whole = new Harness(createFlashCrashStrategy(cfg));
    for (const e of script) whole.feed(e);
    const again = new Harness(createFlashCrashStrategy(cfg));
    for (const e of script) again.feed(e);
    expect(JSON.stringify(again.out)).toBe(JSON.stringify(whole.out));

    const split = new Harness(createFlashCrashStrategy(cfg));
    for (const e of script.slice(0, 3)) split.feed(e);
    expect(split.strategy.states()[UP_TOKEN]).toBe('holding');
    const saved = JSON.parse(JSON.stringify(split.strategy.persist()));
    split.strategy = createFlashCrashStrategy(cfg);
    split.strategy.restore(saved);
    for (const e of script.slice(3)) split.feed(e);
    expect(JSON.stringify(split.out)).toBe(JSON.stringify(whole.out));

    // As the supervisor restarts a strategy: from the persist() result itself, after more events changed the strategy.
    const restarted = new Harness(createFlashCrashStrategy(cfg));
    for (const e of script.slice(0, 3)) restarted.feed(e);
    const lastGood = restarted.strategy.persist();
    const before = JSON.stringify(lastGood);
    for (const e of script.slice(3)) restarted.feed(e);
    expect(JSON.stringify(lastGood)).toBe(before);
    restarted.strategy.restore(lastGood);
    const firstThree = new Harness(createFlashCrashStrategy(cfg));
    for (const e of script.slice(0, 3)) firstThree.feed(e);
    const mark = restarted.out.length;
    for (const e of script.slice(3)) restarted.feed(e);
    expect(JSON.stringify(restarted.out.slice(mark))).toBe(JSON.stringify(whole.out.slice(firstThree.out.length)));
  });

  it('runs the same inspected (an XState actor per instance, every event through the interpreter) as stepped by snapshots', () => {
    const script = crashScript(btc15mMarket(crypto7));
    const pure = new Harness(createFlashCrashStrategy(cfg));
    const inspectedEvents: string[] = [];
    const inspected = new Harness(createFlashCrashStrategy(cfg, undefined, { inspect: (e) => inspectedEvents.push(e.type) }));
    for (const e of script) {
      pure.feed(e);
      inspected.feed(e);
      expect(JSON.stringify(inspected.strategy.persist())).toBe(JSON.stringify(pure.strategy.persist()));
    }
    expect(JSON.stringify(inspected.out)).toBe(JSON.stringify(pure.out));
    expect(pure.intents().length).toBeGreaterThan(0);
    expect(inspectedEvents).toContain('@xstate.event');
  });

  it('ends the machines of markets that left the scan forgetUnlistedMs ago with nothing held or open, keeps the one holding shares, and starts afresh when a market returns', () => {
    const h = new Harness(createFlashCrashStrategy(flashCrashSchema.parse({ ...USD_EXITS, stopLossUsd: '1', forgetUnlistedMs: 60_000 })));
    const crashing = btc15mMarket(crypto7);
    const other = btc15mMarket({ ...crypto7, id: '905022', conditionId: '0x' + 'ab'.repeat(32), slug: 'eth-updown-15m-1765450800', tokenIds: ['111', '222'], outcomePrices: ['0.55', '0.45'] });
    h.feed(snapshot(T0, [crashing, other]));
    for (const e of crashScript(crashing).slice(1, 3)) h.feed(e);
    expect(h.strategy.states()).toEqual({ [UP_TOKEN]: 'holding', [DOWN_TOKEN]: 'watching', '111': 'watching', '222': 'watching' });
    // Both markets leave the scan at T0 + 10 s (the last snapshot that listed them was at T0).
    h.feed(snapshot(T0 + 10_000, []));
    h.feed(timer(T0 + 59_999));
    expect(Object.keys(h.strategy.states())).toHaveLength(4);
    h.feed(timer(T0 + 60_000));
    expect(h.strategy.states()).toEqual({ [UP_TOKEN]: 'holding' });
    expect(h.out.filter((e) => e.type === 'strategy_state' && e.to === 'forgotten').map((e) => e.type === 'strategy_state' && [e.key, e.from, e.ts])).toEqual([
      [DOWN_TOKEN, 'watching', T0 + 60_000],
      ['111', 'watching', T0 + 60_000],
      ['222', 'watching', T0 + 60_000],
    ]);
    // The held token is still sold on its rebound, unlisted or not.
    h.feed(delta(T0 + 61_000, [[UP_TOKEN, 'BUY', '0.70', '40']]));
    expect(h.intents().map((i) => i.side)).toEqual(['BUY', 'SELL']);
    // A market that returns gets a fresh machine.
    h.feed(snapshot(T0 + 62_000, [other]));
    expect(h.strategy.states()['111']).toBe('watching');
  });

  it('a token whose machine ended and came back numbers its orders on from the old ones, so their fills answer it', () => {
    const h = new Harness(createFlashCrashStrategy(flashCrashSchema.parse({ ...USD_EXITS, stopLossUsd: '1', forgetUnlistedMs: 60_000 })));
    const market = btc15mMarket(crypto7);
    for (const e of crashScript(market)) h.feed(e); // buys at T0 + 4 s, sells at T0 + 20 s
    h.feed(snapshot(T0 + 21_000, []));
    h.feed(timer(T0 + 60_000));
    expect(h.strategy.states()[UP_TOKEN]).toBeUndefined();
    // The market is listed again and crashes again.
    h.feed(snapshot(T0 + 100_000, [market]));
    h.feed(book(T0 + 101_000, UP_TOKEN, lv(['0.78', '200'], ['0.79', '100']), lv(['0.81', '300'], ['0.80', '100'])));
    h.feed(delta(T0 + 104_000, [[UP_TOKEN, 'BUY', '0.79', '0'], [UP_TOKEN, 'BUY', '0.78', '0'], [UP_TOKEN, 'BUY', '0.63', '50'], [UP_TOKEN, 'SELL', '0.80', '0'], [UP_TOKEN, 'SELL', '0.81', '0'], [UP_TOKEN, 'SELL', '0.64', '20']]));
    const ids = h.intents().map((i) => i.orderId);
    expect(ids).toEqual([1, 2, 3].map((n) => `flashCrash:${UP_TOKEN}:${n}`));
    expect(h.out.filter((e) => e.type === 'fill').map((e) => e.type === 'fill' && e.orderId)).toEqual(ids);
    expect(h.strategy.states()[UP_TOKEN]).toBe('holding');
  });

  it('hears a book change within one ms: the quote kept for the instant is built again when the markets change', () => {
    const h = new Harness(createFlashCrashStrategy(cfg));
    const market = btc15mMarket(crypto7);
    h.feed(snapshot(T0, [market]));
    h.feed(book(T0, UP_TOKEN, lv(['0.78', '200']), lv(['0.81', '300'])));
    const quote = () => h.strategy.snapshotOf(UP_TOKEN)?.context.quote;
    expect(quote()).toMatchObject({ ask: '0.81', mark: { price: '0.78' } });
    const kept = quote();
    h.feed(timer(T0));
    expect(quote()).toBe(kept);
    h.feed(delta(T0, [[UP_TOKEN, 'SELL', '0.80', '50']]));
    expect(quote()).toMatchObject({ ask: '0.8', mark: { price: '0.78' } });
  });

  it('persisted after every event (as the supervisor does), it carries each token\'s order count (a restart numbers on from it)', () => {
    const h = new Harness(createFlashCrashStrategy(cfg));
    let saved: unknown = h.strategy.persist();
    for (const e of crashScript(btc15mMarket(crypto7))) {
      h.feed(e);
      saved = h.strategy.persist();
    }
    expect(h.intents().map((o) => o.orderId)).toEqual([`flashCrash:${UP_TOKEN}:1`, `flashCrash:${UP_TOKEN}:2`]);
    const record = JSON.parse(JSON.stringify(saved)) as { counters: Record<string, number> };
    expect(record.counters).toEqual({ [UP_TOKEN]: 2 });
  });
});

