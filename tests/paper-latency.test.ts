import Big from 'big.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../actors/config/load';
import { Engine } from '../actors/engine';
import type { Strategy } from '../actors/strategies/types';
import { createTradingSystem } from '../actors/system';
import { SimulatedClock, SystemClock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import { makeEvent, type BookLevel, type EventType, type InputEvent } from '../events/types';
import { crypto7, marketInfo } from './support/execution';
import { describeWithShared } from './support/shared';

/** Buys `size` shares at up to 0.99 when a timer named `buy <size>` ticks. */
function scriptedBuyer(tokenId: string, marketId: string): Strategy {
  let n = 0;
  return {
    name: 'script',
    handles: new Set<EventType>(['timer']),
    react(event) {
      if (event.type !== 'timer' || !event.name.startsWith('buy ')) return [];
      return [makeEvent('order_intent', event.ts, { orderId: `script:${++n}`, strategy: 'script', marketId, tokenId, outcome: 'Up', side: 'BUY', price: '0.99', size: event.name.split(' ')[1], orderType: 'market', reason: 'test', groupId: null })];
    },
    persist: () => n,
    restore: (s) => void (n = s as number),
  };
}

/** The independent walk: asks sorted by price, taken from the best up to `want` shares; the average price. */
function averageOfWalk(asks: BookLevel[], want: string): string {
  let left = new Big(want);
  let notional = new Big(0);
  for (const l of [...asks].sort((a, b) => Number(a.price) - Number(b.price))) {
    const size = new Big(l.size).lt(left) ? new Big(l.size) : left;
    notional = notional.plus(size.times(l.price));
    left = left.minus(size);
    if (left.eq(0)) break;
  }
  return notional.div(want).round(8, Big.roundUp).toFixed();
}

describeWithShared(
  'paper orders reach the book after the latency (248 recorded SOL 15-minute Up books, caiooooo: read in place)',
  ['polymarket/caiooooo_l2_collector/15m/sol/orderbooks/1765450800up.json'],
  ([file]) => {
    const snapshots = (JSON.parse(readFileSync(file, 'utf8')) as { bids: BookLevel[]; asks: BookLevel[]; timestamp: string }[]).filter((s) => s.asks.length > 0);
    const market = marketInfo({ ...crypto7, id: 'sol-15m', conditionId: '0xsol', slug: 'sol-updown-15m-1765450800', outcomes: ['Up', 'Down'], tokenIds: ['sol-up', 'sol-down'], endTs: 1765451700000 });
    const bestAsk = (s: { asks: BookLevel[] }) => Math.min(...s.asks.map((l) => Number(l.price)));
    // Orders sent 100 ms before a book whose best ask differs from the one showing when they are sent
    // (at most 5 s after it: risk refuses orders on data older than 10 s).
    const cases = snapshots
      .map((s, i) => ({ before: snapshots[i - 1], after: s }))
      .filter(({ before, after }) => before && Number(after.timestamp) - Number(before.timestamp) > 200 && Number(after.timestamp) - Number(before.timestamp) < 5_000 && bestAsk(before) !== bestAsk(after))
      .slice(0, 8)
      .map((c) => ({ ...c, arrival: [...snapshots].reverse().find((s) => Number(s.timestamp) <= Number(c.after.timestamp) + 150)! }));

    async function run(config: ReturnType<typeof parseConfig>): Promise<Record<string, unknown>[]> {
      const dir = mkdtempSync(join(tmpdir(), 'pma-latency-'));
      try {
        const eventClock = new SimulatedClock(0);
        const log = EventLogWriter.open(join(dir, 'events.jsonl'), { truncate: true, durability: 'batched' });
        const system = createTradingSystem(config, { eventClock, llm: { mode: 'replay', engine: null }, extraStrategies: [scriptedBuyer('sol-up', market.id)] });
        const engine = new Engine({ log, signals: config.signals, clock: eventClock });
        for (const r of system.reactors) engine.use(r);
        const inputs: InputEvent[] = [makeEvent('market_snapshot', Number(snapshots[0].timestamp) - 1, { source: 'gamma', request: '/markets', markets: [market] })];
        for (const s of snapshots) inputs.push(makeEvent('book', Number(s.timestamp), { source: 'clob_ws', tokenId: 'sol-up', market: market.id, bids: s.bids, asks: s.asks, tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
        for (const c of cases) inputs.push(makeEvent('timer', Number(c.after.timestamp) - 100, { name: 'buy 5' }));
        inputs.sort((a, b) => a.ts - b.ts);
        for (const e of inputs) await engine.ingest(e);
        await engine.advanceTo(Number.MAX_SAFE_INTEGER);
        log.close();
        return readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    const base = { flashCrash: { enabled: false }, fifteenMin: { enabled: false }, negRisk: { enabled: false }, risk: { maxConsecutiveLosses: 1000 } };

    it('an order sent at t fills at t + 250 ms against the book standing then, not the one showing at t', async () => {
      expect(cases.length).toBe(8);
      const fills = (await run(parseConfig(base))).filter((e) => e.type === 'fill');
      expect(fills.map((f) => f.ts)).toEqual(cases.map((c) => Number(c.after.timestamp) + 150));
      expect(fills.map((f) => f.price)).toEqual(cases.map((c) => averageOfWalk(c.arrival.asks, '5')));
      expect(fills.map((f) => f.price)).not.toEqual(cases.map((c) => averageOfWalk(c.before.asks, '5')));
    });

    it('with the delay off the same orders fill at once, against the book showing when they are sent', async () => {
      const fills = (await run(parseConfig({ ...base, paper: { upDownTakerDelayMs: 0 } }))).filter((e) => e.type === 'fill');
      expect(fills.map((f) => f.ts)).toEqual(cases.map((c) => Number(c.after.timestamp) - 100));
      expect(fills.map((f) => f.price)).toEqual(cases.map((c) => averageOfWalk(c.before.asks, '5')));
    });
  },
);
