import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generatePrivateKey } from 'viem/accounts';
import { parseConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import { startService, type RunningService } from '../actors/service/run';
import { readAllEvents } from '../events/log';
import { makeEvent } from '../events/types';
import { FeedTimeClock } from './chaos/support/feedTimeClock';
import { httpRequest } from './chaos/support/http';
import { ClobOrderServer } from './support/clobOrderServer';
import { marketInfo } from './support/execution';
import { liveEnv, probe } from './support/liveProbe';
import { UserChannelServer } from './support/userChannelServer';
import { waitFor } from './support/wsReplayServer';

const T0 = 1_760_000_000_000;
const TOKEN = 'live-service-test-token-4f8a2c';
const privateKey = generatePrivateKey();
const env = liveEnv(privateKey, TOKEN);
const market = marketInfo({ id: 'm-live', conditionId: '0xc0ffee', tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });

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
    await waitFor(() => clob.orders.size === 1 && user.sessions === 1, 'order resting, channel subscribed', 10_000);
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
