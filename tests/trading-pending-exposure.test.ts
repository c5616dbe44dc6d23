import { feedTrading } from './support/feedTrading';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Big from 'big.js';
import pino from 'pino';
import { parseConfig } from '../actors/config/load';
import { liveRefusals } from '../actors/execution/live/marketRules';
import { marketContext, type MarketContext } from '../actors/execution/marketContext';
import { PendingOrders, withPendingOrders } from '../actors/execution/pendingOrders';
import { checkOrder, riskLimits, type RiskVerdict } from '../actors/execution/risk';
import { TradingService } from '../actors/service/service';
import type { Strategy } from '../actors/strategies/types';
import { createTradingSystem, type TradingSystem } from '../actors/system';
import type { Broker, BrokerResult } from '../actors/execution/broker';
import { SimulatedClock, SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventType, type InputEvent, type OrderIntentEvent, type OrderUpdateEvent, type RiskRejectionEvent } from '../events/types';
import { readAllEvents } from '../events/log';
import { btc15mMarket, DOWN_TOKEN, END_TS, UP_TOKEN } from './flash-crash.support';
import { intent, levels, marketInfo } from './support/execution';
import { AnswersLater } from './support/answersLater';


/** Buys when a timer named `buy <marketId> <tokenId> <price> <size>` ticks: entries exactly where a test wants them. */
function scriptedBuyer(): Strategy {
  let n = 0;
  return {
    name: 'script',
    handles: new Set<EventType>(['timer']),
    react(event) {
      if (event.type !== 'timer' || !event.name.startsWith('buy ')) return [];
      const [, marketId, tokenId, price, size] = event.name.split(' ');
      return [makeEvent('order_intent', event.ts, { orderId: `script:${++n}`, strategy: 'script', marketId, tokenId, outcome: 'Yes', side: 'BUY', price, size, orderType: 'limit', reason: 'test', groupId: null })];
    },
    persist: () => n,
    restore: (s) => void (n = s as number),
  };
}

const T0 = 1_765_000_000_000;
const MARKETS = ['m1', 'm2', 'm3'].map((id, i) => marketInfo({ id, conditionId: `0xc${i + 1}`, tokenIds: [`yes${i + 1}`, `no${i + 1}`] }));
// Capital 1000: at most 60 per order, 100 per market, 150 in all.
const config = parseConfig({
  flashCrash: { enabled: false },
  fifteenMin: { enabled: false },
  negRisk: { enabled: false },
  risk: { startingCapital: '1000', maxOrderUsd: '100', maxPerTradePct: 0.06, maxPerMarketPct: 0.1, maxHeatPct: 0.15 },
});

interface Rig {
  system: TradingSystem;
  broker: AnswersLater;
  /** Every input fed and every event derived, in log order. */
  log: AnyEvent[];
  feed(e: InputEvent): Promise<DerivedEvent[]>;
  buy(ts: number, marketId: string, tokenId: string, size: string): Promise<DerivedEvent[]>;
  /** What the venue says of a sent order. */
  update(ts: number, order: OrderIntentEvent, status: OrderUpdateEvent['status'], reason: string): Promise<DerivedEvent[]>;
  fill(ts: number, order: OrderIntentEvent, size: string, price?: string): Promise<DerivedEvent[]>;
  /** Risk's verdict on a BUY of `size` at 0.50 in market m1, checked without sending it. */
  probe(ts: number, size: string): RiskVerdict;
  exposure(marketId?: string): string;
}

async function rig(): Promise<Rig> {
  const broker = new AnswersLater();
  const system = createTradingSystem(config, { eventClock: new SimulatedClock(0), broker, llm: { mode: 'replay', engine: null }, extraStrategies: [scriptedBuyer()] });
  const log: AnyEvent[] = [];
  const feed = async (e: InputEvent) => {
    const derived = await feedTrading(system.trading, e);
    log.push(e, ...derived);
    return derived;
  };
  await feed(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: MARKETS }));
  for (const m of MARKETS) {
    for (const tokenId of m.tokenIds) await feed(makeEvent('book', T0, { source: 'clob_ws', tokenId, market: m.conditionId, bids: levels(['0.49', '1000']), asks: levels(['0.50', '1000']), tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
  }
  const state = () => withPendingOrders(system.portfolio, system.pending);
  return {
    system,
    broker,
    log,
    feed,
    buy: (ts, marketId, tokenId, size) => feed(makeEvent('timer', ts, { name: `buy ${marketId} ${tokenId} 0.50 ${size}` })),
    update: (ts, order, status, reason) => feed(makeEvent('order_update', ts, { orderId: order.orderId, strategy: order.strategy, tokenId: order.tokenId, exchangeOrderId: `0x${order.orderId.slice(7)}`, status, reason, detail: 'the venue says so' })),
    fill: (ts, order, size, price = order.price) => feed(makeEvent('exchange_fill', ts, { orderId: order.orderId, tokenId: order.tokenId, side: 'BUY', price, size, fee: '0', tradeId: `t${ts}` })),
    probe: (ts, size) => checkOrder(intent({ marketId: 'm1', tokenId: 'yes1', price: '0.50', size, ts }), state(), marketContext(system.markets, 'yes1'), riskLimits(config), ts),
    exposure: (marketId) => (marketId === undefined ? state().heat() : state().marketExposure(marketId)).toFixed(),
  };
}

const rejections = (events: readonly AnyEvent[]) => events.filter((e): e is RiskRejectionEvent => e.type === 'risk_rejection');
const verdict = (v: RiskVerdict) => (v.ok ? 'ok' : `${v.reason}: ${v.detail}`);

describe('live entries count against the limits from the moment they are sent', () => {
  it('two entries on one market within one poll: the second is rejected for the per-market limit because of the first', async () => {
    const r = await rig();
    expect(rejections(await r.buy(T0 + 1_000, 'm1', 'yes1', '120'))).toEqual([]); // 60
    const [second] = rejections(await r.buy(T0 + 1_001, 'm1', 'no1', '120'));
    expect(second.reason).toBe('max_market_share');
    expect(second.detail).toBe('exposure in market m1 would be 120, above 10 % of capital (100); counts 60 of 1 BUY order sent and not ended');
    expect(r.broker.sent.map((o) => o.tokenId)).toEqual(['yes1']);

    // Other markets still trade, up to the heat limit, which counts every pending order.
    expect(rejections(await r.buy(T0 + 1_002, 'm2', 'yes2', '120'))).toEqual([]);
    const [third] = rejections(await r.buy(T0 + 1_003, 'm3', 'yes3', '120'));
    expect(third.reason).toBe('max_heat');
    expect(third.detail).toBe('total exposure would be 180, above 15 % of capital (150); counts 120 of 2 BUY orders sent and not ended');
    expect(withPendingOrders(r.system.portfolio, r.system.pending).cash().toFixed()).toBe('880');
    expect(r.system.portfolio.cash().toFixed()).toBe('1000');
  });

  it('an order the venue rejects or cancels stops counting: a new entry on the market passes', async () => {
    const r = await rig();
    await r.buy(T0 + 1_000, 'm1', 'yes1', '120');
    const [first] = r.broker.sent;
    expect(rejections(await r.buy(T0 + 1_001, 'm1', 'no1', '120')).map((e) => e.reason)).toEqual(['max_market_share']);
    await r.update(T0 + 1_500, first, 'submitted', 'GTD');
    await r.update(T0 + 1_600, first, 'rejected', 'exchange_rejected');
    expect(r.exposure('m1')).toBe('0');
    expect(rejections(await r.buy(T0 + 2_000, 'm1', 'no1', '120'))).toEqual([]);
    const second = r.broker.sent[1];

    // The second rests, 100 of its 120 shares fill, then the venue cancels it: the filled 50 stay as the position.
    await r.update(T0 + 2_100, second, 'accepted', 'live');
    await r.fill(T0 + 2_200, second, '100');
    expect(r.exposure('m1')).toBe('60');
    await r.update(T0 + 2_300, second, 'cancelled', 'canceled');
    expect(r.exposure('m1')).toBe('50');
    expect(r.system.pending.toJSON()).toEqual({});
    expect(verdict(r.probe(T0 + 2_400, '100'))).toBe('ok'); // 50 + 50 = 100
    expect(verdict(r.probe(T0 + 2_400, '100.02'))).toBe('max_market_share: exposure in market m1 would be 100.01, above 10 % of capital (100)');
    expect(rejections(await r.buy(T0 + 2_500, 'm1', 'yes1', '100'))).toEqual([]);
    expect(r.exposure('m1')).toBe('100');
  });

  it('a partial fill then the rest: the order is counted once throughout, first pending, then in the position', async () => {
    const r = await rig();
    await r.buy(T0 + 1_000, 'm1', 'yes1', '120');
    const [order] = r.broker.sent;
    const at = (ts: number) => ({ exposure: r.exposure('m1'), heat: r.exposure(), pending: r.system.pending.value('m1').toFixed(), position: r.system.portfolio.marketExposure('m1').toFixed(), fits: verdict(r.probe(ts, '80')), over: verdict(r.probe(ts, '80.02')) });

    const full = { fits: 'ok', over: 'max_market_share: exposure in market m1 would be 100.01, above 10 % of capital (100)' };
    expect(at(T0 + 1_100)).toEqual({ exposure: '60', heat: '60', pending: '60', position: '0', ...full, over: `${full.over}; counts 60 of 1 BUY order sent and not ended` });
    await r.update(T0 + 1_200, order, 'accepted', 'live');
    await r.fill(T0 + 1_300, order, '50');
    expect(r.system.pending.toJSON()).toEqual({ [order.orderId]: { marketId: 'm1', price: '0.5', side: 'BUY', size: '70', strategy: 'script', tokenId: 'yes1' } });
    expect(at(T0 + 1_400)).toEqual({ exposure: '60', heat: '60', pending: '35', position: '25', ...full, over: `${full.over}; counts 35 of 1 BUY order sent and not ended` });
    await r.fill(T0 + 1_500, order, '70');
    expect(at(T0 + 1_600)).toEqual({ exposure: '60', heat: '60', pending: '0', position: '60', ...full });
    await r.update(T0 + 1_700, order, 'filled', 'matched');
    expect(at(T0 + 1_800)).toEqual({ exposure: '60', heat: '60', pending: '0', position: '60', ...full });
    expect(r.system.portfolio.shares('script', 'yes1').toFixed()).toBe('120');
  });

  it('ends with the venue: a market BUY filled short of its size by rounding ends on `filled`; a given-up order the venue later acknowledges counts again', async () => {
    const r = await rig();
    await r.buy(T0 + 1_000, 'm1', 'yes1', '120');
    await r.buy(T0 + 1_001, 'm2', 'yes2', '120');
    const [rounded, lost] = r.broker.sent;
    await r.fill(T0 + 1_100, rounded, '119.98');
    expect(r.system.pending.toJSON()).toMatchObject({ [rounded.orderId]: { size: '0.02' } });
    await r.update(T0 + 1_200, rounded, 'filled', 'matched');
    expect(Object.keys(r.system.pending.toJSON())).toEqual([lost.orderId]);

    await r.update(T0 + 1_300, lost, 'rejected', 'not_found_after_timeout');
    expect(r.exposure('m2')).toBe('0');
    await r.update(T0 + 1_400, lost, 'accepted', 'late_answer');
    expect(r.exposure('m2')).toBe('60');
    await r.fill(T0 + 1_500, lost, '20');
    await r.update(T0 + 1_600, lost, 'expired', 'expired');
    expect(r.exposure('m2')).toBe('10');
    expect(r.system.pending.toJSON()).toEqual({});
  });

  it('the log alone rebuilds the pending set, and a replay of its inputs derives the same events byte for byte', async () => {
    const r = await rig();
    await r.buy(T0 + 1_000, 'm1', 'yes1', '120');
    await r.buy(T0 + 1_001, 'm1', 'no1', '120'); // rejected: m1 is full
    await r.buy(T0 + 1_002, 'm2', 'yes2', '100');
    const [a, b] = r.broker.sent;
    await r.update(T0 + 1_100, a, 'accepted', 'live');
    await r.fill(T0 + 1_200, a, '30');
    await r.update(T0 + 1_300, b, 'rejected', 'exchange_rejected');
    await r.buy(T0 + 1_400, 'm2', 'no2', '110');
    await r.buy(T0 + 1_500, 'm3', 'yes3', '120'); // rejected: heat 60 + 55 + 60 = 175
    const expected = {
      [a.orderId]: { marketId: 'm1', price: '0.5', side: 'BUY', size: '90', strategy: 'script', tokenId: 'yes1' },
      [r.broker.sent[2].orderId]: { marketId: 'm2', price: '0.5', side: 'BUY', size: '110', strategy: 'script', tokenId: 'no2' },
    };
    expect(r.system.pending.toJSON()).toEqual(expected);
    expect(rejections(r.log).map((e) => e.reason)).toEqual(['max_market_share', 'max_heat']);

    const lines = r.log.map((e) => JSON.stringify(e));
    expect(JSON.stringify(PendingOrders.fromEvents(lines.map((l) => JSON.parse(l) as AnyEvent)))).toBe(JSON.stringify(expected));

    const again = await rig();
    const replayed: AnyEvent[] = [];
    for (const e of r.log.slice(again.log.length)) if (e.type === 'timer' || e.type === 'order_update' || e.type === 'exchange_fill') replayed.push(e, ...(await feedTrading(again.system.trading, e)));
    expect([...again.log, ...replayed].map((e) => JSON.stringify(e))).toEqual(lines);
    expect(JSON.stringify(again.system.pending)).toBe(JSON.stringify(expected));
  });
});

/** Refuses what the live broker refuses before signing (deterministic), sends the rest. */
class LiveContract implements Broker {
  readonly sendsToVenue = true;
  readonly sent: OrderIntentEvent[] = [];
  execute(order: OrderIntentEvent, market: MarketContext | undefined, ts: number): BrokerResult | null {
    const [refused] = liveRefusals([order], () => market, ts);
    if (!refused) this.sent.push(order);
    return refused ?? null;
  }
  executeGroup(orders: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number): BrokerResult[] {
    const refused = liveRefusals(orders, market, ts);
    if (refused.length === 0) this.sent.push(...orders);
    return refused;
  }
}

describe('the service rebuilt from its log after a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-pending-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has the same orders pending, and derives the live refusals again without sending anything', async () => {
    const logPath = join(dir, 'events.jsonl');
    const config = parseConfig({ fifteenMin: { enabled: false }, negRisk: { enabled: false }, llm: { enabled: false }, risk: { startingCapital: '100' } });
    const T = END_TS - 600_000;
    const plain = btc15mMarket();
    // Gamma left out negRisk: the live broker never signs on a default.
    const guessed = btc15mMarket({ id: '905022', conditionId: '0x22', slug: 'guessed', tokenIds: ['801', '802'], defaulted: ['negRisk'] });
    const bookOf = (tokenId: string, market: string) => makeEvent('book', T + 1_000, { source: 'clob_ws', tokenId, market, bids: levels(['0.79', '100']), asks: levels(['0.80', '100']), tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
    const crash = (ts: number, tokenId: string, market: string) =>
      makeEvent('book_delta', ts, {
        market,
        changes: [
          { tokenId, side: 'BUY', price: '0.79', size: '0' },
          { tokenId, side: 'BUY', price: '0.63', size: '50' },
          { tokenId, side: 'SELL', price: '0.80', size: '0' },
          { tokenId, side: 'SELL', price: '0.64', size: '50' },
        ],
      });
    const inputs: InputEvent[] = [
      makeEvent('market_snapshot', T, { source: 'gamma', request: '/markets', markets: [plain, guessed] }),
      bookOf(UP_TOKEN, plain.conditionId),
      bookOf(DOWN_TOKEN, plain.conditionId),
      bookOf('801', guessed.conditionId),
      crash(T + 4_000, UP_TOKEN, plain.conditionId),
      crash(T + 4_200, DOWN_TOKEN, plain.conditionId),
      crash(T + 4_400, '801', guessed.conditionId),
    ];

    const quiet = pino({ level: 'silent' });
    const first = new LiveContract();
    const life1 = new TradingService({ config, logPath, env: {}, logger: quiet, clock: new SystemClock(), broker: first });
    const log = life1.openLog(await life1.rebuild());
    life1.engine.switchLog(log);
    for (const e of inputs) await life1.engine.ingest(e);
    const [up, down] = first.sent;
    expect(first.sent.map((o) => o.tokenId)).toEqual([UP_TOKEN, DOWN_TOKEN]);
    const part = makeEvent('exchange_fill', T + 4_600, { orderId: up.orderId, tokenId: UP_TOKEN, side: 'BUY', price: up.price, size: '3.9', fee: '0', tradeId: 't1' });
    await life1.engine.ingest(part);
    log.close();

    const logged = (await readAllEvents(logPath)).records.map((r) => r.event);
    expect(logged.filter((e) => e.type === 'risk_rejection').map((e) => e.type === 'risk_rejection' && e.reason)).toEqual(['market_data_incomplete']);
    const expected = {
      [down.orderId]: { marketId: plain.id, price: new Big(down.price).toFixed(), side: 'BUY', size: new Big(down.size).toFixed(), strategy: down.strategy, tokenId: DOWN_TOKEN },
      [up.orderId]: { marketId: plain.id, price: new Big(up.price).toFixed(), side: 'BUY', size: new Big(up.size).minus('3.9').toFixed(), strategy: up.strategy, tokenId: UP_TOKEN },
    };
    expect(life1.system.pending.toJSON()).toEqual(expected);
    expect(PendingOrders.fromEvents(logged).toJSON()).toEqual(expected);

    const second = new LiveContract();
    const life2 = new TradingService({ config, logPath, env: {}, logger: quiet, clock: new SystemClock(), broker: second });
    expect(await life2.rebuild()).toMatchObject({ events: logged.length, derivedMissing: 0, derivedMismatch: null });
    expect(JSON.stringify(life2.system.pending)).toBe(JSON.stringify(life1.system.pending));
    expect(JSON.stringify(life2.system.portfolio)).toBe(JSON.stringify(life1.system.portfolio));
    expect(second.sent).toEqual([]);
  }, 30_000);
});
