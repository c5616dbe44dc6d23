import { readFileSync } from 'node:fs';
import Big from 'big.js';
import { flashCrashSchema } from '../actors/config/schema';
import { createFlashCrashStrategy } from '../actors/strategies/flashCrash';
import type { StrategyContext } from '../actors/strategies/types';
import { makeEvent, type AnyEvent, type DerivedEvent, type OrderIntentEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { describeWithShared } from './support/shared';
import { DOWN_TOKEN, UP_TOKEN, USD_EXITS, btc15mMarket } from './flash-crash.support';

/**
 * The real CLOB trade tapes of `btc-updown-15m-1765450800` (Caiooooo/polymarket-l2-collector, no
 * licence: read from ../shared only). The Up token fell 0.82 -> 0.60 between 11:12:01.4 and
 * 11:12:10.3 UTC, then recovered. Token ids were not recorded: the support file makes them up.
 *
 * There is no book in these recordings, so the test fills each order in full at its limit price at
 * once (a taker at the traded price); the strategy marks the position at the last trade.
 */

interface Row {
  price: string;
  size: string;
  side: 'buy' | 'sell';
  timestamp: string;
}

const utc = (hms: string) => Date.parse(`2025-12-11T${hms}Z`);
const CRASH_FROM = utc('11:12:01.400');
const CRASH_TO = utc('11:12:11.999');

function tape(path: string, tokenId: string): AnyEvent[] {
  const rows = JSON.parse(readFileSync(path, 'utf8')) as Row[];
  return rows.map((r) =>
    makeEvent('last_trade', Number(r.timestamp), { market: btc15mMarket().conditionId, tokenId, price: r.price, size: r.size, side: r.side === 'buy' ? 'BUY' : 'SELL' }),
  );
}

/** Runs the tape through the strategy; every order fills in full at its price at the same time. */
function run(events: AnyEvent[], cfg: Partial<ReturnType<typeof flashCrashSchema.parse>> = {}): { intents: OrderIntentEvent[]; out: DerivedEvent[]; strategy: ReturnType<typeof createFlashCrashStrategy> } {
  const markets = new MarketState();
  const strategy = createFlashCrashStrategy(flashCrashSchema.parse({ ...USD_EXITS, ...cfg }));
  const out: DerivedEvent[] = [];
  // As Gamma lists a 15-minute market before it trades: no outcome prices yet.
  const all = [makeEvent('market_snapshot', events[0].ts - 1, { source: 'gamma', request: '/events/slug/btc-updown-15m-1765450800', markets: [btc15mMarket({ outcomePrices: [] })] }), ...events];
  for (const event of all) {
    markets.apply(event);
    const queue: AnyEvent[] = [event];
    while (queue.length > 0) {
      const e = queue.shift()!;
      const ctx: StrategyContext = { now: e.ts, markets, position: () => '0' };
      for (const d of strategy.react(e, ctx) as DerivedEvent[]) {
        out.push(d);
        if (d.type === 'order_intent') {
          const f = makeEvent('fill', d.ts, { orderId: d.orderId, strategy: d.strategy, marketId: d.marketId, tokenId: d.tokenId, side: d.side, price: d.price, size: d.size, fee: '0', partial: false });
          out.push(f);
          queue.push(f);
        }
      }
    }
  }
  return { intents: out.filter((e): e is OrderIntentEvent => e.type === 'order_intent'), out, strategy };
}

/** Index of the first trade at least 20 % under the highest trade of the 10 s before it (in cents, exactly). */
function firstCrash(events: AnyEvent[]): number {
  const cents = (e: AnyEvent) => Math.round(Number((e as { price: string }).price) * 100);
  for (let i = 0; i < events.length; i++) {
    let high = 0;
    for (let j = i; j >= 0 && events[j].ts >= events[i].ts - 10_000; j--) high = Math.max(high, cents(events[j]));
    if ((high - cents(events[i])) * 5 >= high) return i;
  }
  return -1;
}

describeWithShared(
  'flash crash on the real BTC 15-minute tapes (2025-12-11 11:00-11:15 UTC)',
  ['polymarket/caiooooo_l2_collector/15m/btc/trades/1765450800up.json', 'polymarket/caiooooo_l2_collector/15m/btc/trades/1765450800down.json'],
  ([upPath, downPath]) => {
    const up = tape(upPath, UP_TOKEN);
    const down = tape(downPath, DOWN_TOKEN);

    it('buys the Up token once, on the first trade of the crash, at the price it traded', () => {
      const i = firstCrash(up);
      const crash = up[i] as Extract<AnyEvent, { type: 'last_trade' }>;
      expect(crash.ts).toBeGreaterThanOrEqual(CRASH_FROM);
      expect(crash.ts).toBeLessThanOrEqual(CRASH_TO);

      const { intents } = run(up);
      const buys = intents.filter((o) => o.side === 'BUY');
      expect(buys).toHaveLength(1);
      expect(buys[0]).toMatchObject({ ts: crash.ts, price: new Big(crash.price).toString(), size: new Big(5).div(crash.price).round(2, Big.roundDown).toString() });
    });

    it('takes profit on the rebound, at the first trade where the P&L reaches $0.10 (before any -$0.05)', () => {
      const i = firstCrash(up);
      const entry = new Big((up[i] as { price: string }).price);
      const shares = new Big(5).div(entry).round(2, Big.roundDown);
      let expected: { ts: number; price: string; reason: string } | null = null;
      for (const e of up.slice(i + 1)) {
        const p = (e as { price: string }).price;
        const pnl = shares.times(new Big(p).minus(entry));
        if (pnl.gte('0.10')) expected = { ts: e.ts, price: p, reason: 'take_profit' };
        else if (pnl.lte('-0.05')) expected = { ts: e.ts, price: p, reason: 'stop_loss' };
        if (expected) break;
      }
      expect(expected).not.toBeNull();
      expect(expected!.ts - up[i].ts).toBeLessThan(flashCrashSchema.parse({}).maxHoldMs);

      const { intents, strategy } = run(up);
      expect(intents).toHaveLength(2);
      expect(intents[1]).toMatchObject({ side: 'SELL', ts: expected!.ts, price: new Big(expected!.price).toString(), size: shares.toString() });
      expect(intents[1].reason.startsWith(expected!.reason)).toBe(true);
      expect(expected!.reason).toBe('take_profit');
      expect(strategy.states()[UP_TOKEN]).toBe('watching');
    });

    it('with the default exits in price terms (10 ticks up, 5 down from the entry price), exits at the first trade past either', () => {
      const i = firstCrash(up);
      const entry = new Big((up[i] as { price: string }).price);
      const { takeProfitTicks, stopLossTicks, maxHoldMs } = flashCrashSchema.parse({});
      let expected: { ts: number; price: string; reason: string } | null = null;
      for (const e of up.slice(i + 1)) {
        if (e.ts - up[i].ts >= maxHoldMs) break;
        const p = new Big((e as { price: string }).price);
        if (p.gte(entry.plus(new Big('0.01').times(takeProfitTicks!)))) expected = { ts: e.ts, price: p.toString(), reason: 'take_profit' };
        else if (p.lte(entry.minus(new Big('0.01').times(stopLossTicks!)))) expected = { ts: e.ts, price: p.toString(), reason: 'stop_loss' };
        if (expected) break;
      }
      expect(expected).not.toBeNull();
      const { intents } = run(up, { takeProfitUsd: null, stopLossUsd: null, takeProfitTicks, stopLossTicks });
      expect(intents).toHaveLength(2);
      expect(intents[1]).toMatchObject({ side: 'SELL', ts: expected!.ts, price: expected!.price });
      expect(intents[1].reason.startsWith(expected!.reason)).toBe(true);
    });

    it('with both tapes in one run, a Down exit within cooldownMs before the Up crash blocks it: the cooldown is per market', () => {
      const merged = [...up, ...down].sort((a, b) => a.ts - b.ts);
      const crashTs = up[firstCrash(up)].ts;
      const cooldownMs = flashCrashSchema.parse({}).cooldownMs;
      const fills = run(merged).out.filter((e) => e.type === 'fill' && e.tokenId === DOWN_TOKEN && e.side === 'SELL' && e.ts < crashTs);
      const lastDownExit = fills[fills.length - 1].ts; // 11:11:30.329, a take-profit after the Down dip at 11:11:28
      expect(crashTs - lastDownExit).toBeLessThan(cooldownMs);
      expect(run(merged).intents.filter((o) => o.tokenId === UP_TOKEN && o.side === 'BUY' && o.ts <= crashTs + 10_000)).toEqual([]);
      // A cooldown shorter than the gap lets the Up crash through, at the same trade as alone.
      const shorter = crashTs - lastDownExit - 1;
      const upBuys = run(merged, { cooldownMs: shorter }).intents.filter((o) => o.tokenId === UP_TOKEN && o.side === 'BUY');
      expect(upBuys[0]).toMatchObject({ ts: crashTs, price: (up[firstCrash(up)] as { price: string }).price });
    });

    it('does not buy the Down token while the Up token crashes (Down rose then)', () => {
      const { intents } = run(down);
      const during = intents.filter((o) => o.side === 'BUY' && o.ts >= CRASH_FROM && o.ts <= CRASH_TO);
      expect(during).toEqual([]);
      // Its own crashes (e.g. 0.62 -> 0.49 at 11:01:34) are found where the raw rows say they are.
      expect(intents.find((o) => o.side === 'BUY')!.ts).toBe(down[firstCrash(down)].ts);
    });
  },
);
