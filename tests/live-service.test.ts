import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { parseConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import { startService, type RunningService } from '../actors/service/run';
import { readAllEvents } from '../events/log';
import { makeEvent, type InputEvent } from '../events/types';
import { FeedTimeClock } from './chaos/support/feedTimeClock';
import { httpRequest } from './chaos/support/http';
import { ClobOrderServer } from './support/clobOrderServer';
import { marketInfo } from './support/execution';
import { liveEnv, probe } from './support/liveProbe';
import { UserChannelServer } from './support/userChannelServer';
import type { KeyedMachineStrategy } from '../actors/strategies/keyedMachines';
import type { flashCrashMachine } from '../machines/flashCrash';
import { btc15mMarket, crashDelta, END_TS, UP_TOKEN, upBook, USD_EXITS } from './flash-crash.support';
import { waitFor } from './support/wsReplayServer';

const T0 = 1_760_000_000_000;
const TOKEN = 'live-service-test-token-4f8a2c';
const privateKey = generatePrivateKey();
const env = liveEnv(privateKey, TOKEN);
const market = marketInfo({ id: 'm-live', conditionId: '0xc0ffee', tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });

/** Appends an input as a feed would deliver it: the service's clock reads the input's time. */
async function appendAt(clock: FeedTimeClock, running: RunningService, e: InputEvent): Promise<void> {
  clock.t = e.ts;
  await running.service.append(e);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-live-service-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('pma start --live: an order through risk and the broker, its maker fills streamed by the user channel to the strategy and the portfolio; the log replays to the served portfolio', async () => {
  const clob = await ClobOrderServer.start(137);
  clob.markets.push({ conditionId: market.conditionId, tokenIds: market.tokenIds, tickSize: market.tickSize, negRisk: false });
  const user = await UserChannelServer.start({ apiKey: env.POLYMARKET_API_KEY, secret: env.POLYMARKET_API_SECRET, passphrase: env.POLYMARKET_API_PASSPHRASE });
  clob.onUser = (m) => user.push(m);
  const clock = new FeedTimeClock();
  clock.t = T0;
  const config = parseConfig({ service: { mode: 'live', metricsPort: 0, controlPort: 0, tickMs: 3_600_000 }, feeds: { clobUrl: clob.url, clobUserWsUrl: user.url }, live: { limitOrderType: 'GTC' } });
  const logPath = join(dir, 'events.jsonl');
  const strategy = probe(market.id, [{ tokenId: '1001', price: '0.43', size: '12' }]);
  let running: RunningService | null = null;
  try {
    running = await startService({ config, logPath, env, logger: pino({ level: 'silent' }), clock, live: true, extraStrategies: [strategy], disable: { binance: true, clobWs: true, rtds: true, scan: true } });
    await running.service.append(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }));
    await running.service.append(makeEvent('book', T0 + 1, { source: 'clob_ws', tokenId: '1001', market: market.conditionId, bids: [{ price: '0.42', size: '100' }], asks: [{ price: '0.44', size: '100' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
    // Accepted before the venue fills it (a fill may otherwise stream in ahead of the POST's answer).
    await waitFor(() => clob.orders.size === 1 && user.sessions === 1 && running!.broker!.openOrders().length === 1, 'order resting, channel subscribed', 10_000);
    const hash = [...clob.orders.keys()][0];
    clob.fillResting(hash, '5');
    clob.fillResting(hash, '7');
    await waitFor(() => strategy.fills.length === 2, 'both fills reached the strategy', 10_000);
    expect(strategy.fills.map((f) => [f.orderId, f.size, f.price])).toEqual([
      ['probe:1', '5', '0.43'],
      ['probe:1', '7', '0.43'],
    ]);
    await running.broker!.settled();
    const served = await httpRequest(`${running.controlServer.url}/debug/portfolio`, 'GET', 5000, { authorization: `Bearer ${TOKEN}` });
    expect(served.status).toBe(200);
    const folded = Portfolio.fromEvents(config.risk.startingCapital, (await readAllEvents(logPath)).records.map((r) => r.event));
    expect(JSON.parse(served.body)).toEqual(JSON.parse(JSON.stringify(folded)));
    expect(folded.positions().map((p) => [p.strategy, p.tokenId, p.shares.toString()])).toEqual([['probe', '1001', '12']]);
    // Trades were never polled: the channel delivered.
    expect(clob.count('GET', '/data/trades')).toBe(1); // the one look when the order was accepted
  } finally {
    await running?.stop('test');
    await clob.close();
    await user.stop();
  }
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const kinds = events.filter((e) => ['order_intent', 'order_update', 'exchange_fill'].includes(e.type)).map((e) => (e.type === 'order_update' ? `order_update:${e.status}` : e.type));
  expect(kinds).toEqual(['order_intent', 'order_update:submitted', 'order_update:accepted', 'exchange_fill', 'exchange_fill', 'order_update:filled']);
  expect(events.some((e) => e.type === 'feed_status' && e.feed === 'clob_user_ws' && e.status === 'connected')).toBe(true);
}, 60_000);

it('pma start --live: a flash-crash entry the venue leaves unanswered past orderTimeoutMs is given up and cancelled at the venue (DELETE /order, the lost one looked up and sent again); its late fill is booked and reaches the strategy; the log replays to the served portfolio', async () => {
  const T = END_TS - 600_000;
  const crypto = btc15mMarket();
  const clob = await ClobOrderServer.start(137);
  clob.markets.push({ conditionId: crypto.conditionId, tokenIds: crypto.tokenIds, tickSize: crypto.tickSize, negRisk: false });
  const user = await UserChannelServer.start({ apiKey: env.POLYMARKET_API_KEY, secret: env.POLYMARKET_API_SECRET, passphrase: env.POLYMARKET_API_PASSPHRASE });
  clob.onUser = (m) => user.push(m);
  const clock = new FeedTimeClock();
  const config = parseConfig({ service: { mode: 'live', metricsPort: 0, controlPort: 0, tickMs: 3_600_000 }, feeds: { clobUrl: clob.url, clobUserWsUrl: user.url }, live: { limitOrderType: 'GTC', submitTimeoutMs: 300, reconcileIntervalMs: 100 }, fifteenMin: { enabled: false }, negRisk: { enabled: false }, flashCrash: USD_EXITS });
  const logPath = join(dir, 'cancel.jsonl');
  let running: RunningService | null = null;
  const append = (e: InputEvent) => appendAt(clock, running!, e);
  try {
    running = await startService({ config, logPath, env, logger: pino({ level: 'silent' }), clock, live: true, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
    const flash = running.service.system.strategies.find((s) => s.name === 'flashCrash') as KeyedMachineStrategy<typeof flashCrashMachine>;
    await append(makeEvent('market_snapshot', T, { source: 'gamma', request: '/markets', markets: [crypto] }));
    await append(upBook(crypto.conditionId, T + 1_000));
    await append(crashDelta(crypto.conditionId, T + 4_000));
    // The venue takes the order and answers nothing more (no match, no cancel).
    await waitFor(() => clob.orders.size === 1 && user.sessions === 1 && running!.broker!.openOrders().length === 1, 'entry accepted at the venue, channel subscribed', 10_000);
    await running.broker!.settled();
    const hash = [...clob.orders.keys()][0];
    expect(flash.states()[UP_TOKEN]).toBe('entering');

    // One timer before the timeout: nothing; the first one at orderTimeoutMs: the order is given up and cancelled.
    // The first DELETE is lost on the way; meanwhile the venue fills 5 of the order (a late fill of a given-up order).
    clob.cancelModes.push('lose');
    await append(makeEvent('timer', T + 4_000 + config.flashCrash.orderTimeoutMs - 1, { name: 'tick' }));
    expect(clob.count('DELETE', '/order')).toBe(0);
    await append(makeEvent('timer', T + 4_000 + config.flashCrash.orderTimeoutMs, { name: 'tick' }));
    await waitFor(() => clob.count('DELETE', '/order') === 1, 'the first DELETE', 10_000);
    clob.fillResting(hash, '5');
    await waitFor(() => running!.service.system.portfolio.shares('flashCrash', UP_TOKEN).gt(0), 'late fill booked', 10_000);
    expect(flash.snapshotOf(UP_TOKEN)!.context.shares).toBe('5');
    // No answer within submitTimeoutMs: the lookup finds the order still live, the cancel goes again and takes effect.
    await waitFor(() => clob.cancellations.length === 1, 'cancelled at the venue', 10_000);
    await running.broker!.settled();
    await waitFor(() => flash.states()[UP_TOKEN] !== 'entering', 'the strategy heard the end', 10_000);
    expect(clob.count('DELETE', '/order')).toBe(2);
    expect(clob.requests.filter((q) => q.method === 'DELETE').map((q) => JSON.parse(q.raw))).toEqual([{ orderID: hash }, { orderID: hash }]);
    const served = await httpRequest(`${running.controlServer.url}/debug/portfolio`, 'GET', 5000, { authorization: `Bearer ${TOKEN}` });
    const folded = Portfolio.fromEvents(config.risk.startingCapital, (await readAllEvents(logPath)).records.map((r) => r.event));
    expect(JSON.parse(served.body)).toEqual(JSON.parse(JSON.stringify(folded)));
    expect(folded.positions().map((p) => [p.strategy, p.tokenId, p.shares.toString()])).toEqual([['flashCrash', UP_TOKEN, '5']]);
  } finally {
    await running?.stop('test');
    await clob.close();
    await user.stop();
  }
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const kinds = events.filter((e) => ['order_intent', 'cancel_intent', 'order_update', 'exchange_fill', 'risk_rejection'].includes(e.type)).map((e) => (e.type === 'order_update' ? `order_update:${e.status}` : e.type));
  // The strategy acts on the late fill at once: a stop-loss exit of the 5 shares (refused here: the test's book is 30 s old).
  expect(kinds).toEqual(['order_intent', 'order_update:submitted', 'order_update:accepted', 'cancel_intent', 'order_update:cancel_submitted', 'exchange_fill', 'order_intent', 'risk_rejection', 'order_update:cancelled']);
  expect(events.filter((e) => e.type === 'order_intent')[1]).toMatchObject({ side: 'SELL', size: '5' });
  expect(events.find((e) => e.type === 'risk_rejection')).toMatchObject({ reason: 'stale_market_data' });
  expect(events.filter((e) => e.type === 'order_update').at(-1)).toMatchObject({ status: 'cancelled', detail: `5 of ${(events.find((e) => e.type === 'order_intent') as { size: string }).size} filled` });
  expect(events.find((e) => e.type === 'cancel_intent')).toMatchObject({ strategy: 'flashCrash', reason: 'order_timeout', ts: T + 4_000 + config.flashCrash.orderTimeoutMs });
}, 60_000);

it('pma start without --live: an entry still on its way (paper latency) past orderTimeoutMs is given up and its cancel goes nowhere: no request reaches the CLOB, the order reaches the book and fills as a late fill', async () => {
  const T = END_TS - 600_000;
  const crypto = btc15mMarket();
  const clob = await ClobOrderServer.start(137);
  const clock = new FeedTimeClock();
  // Orders take 40 s to reach the book: longer than flash crash's 30 s order timeout.
  const config = parseConfig({ service: { mode: 'paper', metricsPort: 0, controlPort: 0, tickMs: 3_600_000 }, feeds: { clobUrl: clob.url, clobUserWsUrl: 'ws://127.0.0.1:9/ws/user' }, paper: { latencyMs: 40_000 }, fifteenMin: { enabled: false }, negRisk: { enabled: false }, flashCrash: USD_EXITS });
  const logPath = join(dir, 'paper-cancel.jsonl');
  let running: RunningService | null = null;
  const append = (e: InputEvent) => appendAt(clock, running!, e);
  try {
    running = await startService({ config, logPath, env, logger: pino({ level: 'silent' }), clock, live: false, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
    expect(running.broker).toBeNull();
    await append(makeEvent('market_snapshot', T, { source: 'gamma', request: '/markets', markets: [crypto] }));
    await append(upBook(crypto.conditionId, T + 1_000));
    await append(crashDelta(crypto.conditionId, T + 4_000));
    await append(makeEvent('timer', T + 4_000 + config.flashCrash.orderTimeoutMs, { name: 'tick' }));
    await append(makeEvent('timer', T + 4_000 + 41_000, { name: 'tick' }));
    expect(running.service.system.portfolio.shares('flashCrash', UP_TOKEN).gt(0)).toBe(true);
  } finally {
    await running?.stop('test');
    await clob.close();
  }
  expect(clob.requests).toEqual([]);
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const entry = events.find((e) => e.type === 'order_intent')!;
  const kinds = events.filter((e) => ['order_intent', 'cancel_intent', 'fill', 'risk_rejection'].includes(e.type)).map((e) => `${e.type}@${e.ts - entry.ts}`);
  // The fill comes when the order reaches the book (the latency plus the venue's taker delay on Up/Down markets);
  // the strategy hears it as a late fill and exits at once (refused: the test's book is 40 s old).
  const arrival = 40_000 + config.paper.upDownTakerDelayMs;
  expect(kinds).toEqual(['order_intent@0', `cancel_intent@${config.flashCrash.orderTimeoutMs}`, `fill@${arrival}`, `order_intent@${arrival}`, `risk_rejection@${arrival}`]);
  expect(events.filter((e) => e.type === 'order_intent')[1]).toMatchObject({ side: 'SELL' });
}, 60_000);
