import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { parseConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import { startService, type RunningService } from '../actors/service/run';
import type { Strategy } from '../actors/strategies/types';
import { readAllEvents } from '../events/log';
import { makeEvent } from '../events/types';
import { FeedTimeClock } from './chaos/support/feedTimeClock';
import { httpRequest } from './chaos/support/http';
import { ClobOrderServer } from './support/clobOrderServer';
import { marketInfo } from './support/execution';
import { liveEnv, probe } from './support/liveProbe';
import { JsonRpcChain } from './support/jsonRpcChain';
import { UserChannelServer } from './support/userChannelServer';
import { waitFor } from './support/wsReplayServer';

const T0 = 1_760_000_000_000;
const TOKEN = 'live-redemption-test-token-9b1d7e';
const privateKey = generatePrivateKey();
const wallet = privateKeyToAccount(privateKey).address;
const env = liveEnv(privateKey, TOKEN);
const CONDITION = `0x${'c0ffee'.padStart(64, '0')}`;
const market = marketInfo({ id: 'm-live', conditionId: CONDITION, tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-live-redemption-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("a live session's whole life (orders, streamed fills, a cancel, resolution, on-chain redemption) is in its log; the payout reaches cash once, from the confirmed redemption; a restart rebuilds the same portfolio and sends nothing", async () => {
  const clob = await ClobOrderServer.start(137);
  clob.markets.push({ conditionId: market.conditionId, tokenIds: market.tokenIds, tickSize: market.tickSize, negRisk: false });
  const user = await UserChannelServer.start({ apiKey: env.POLYMARKET_API_KEY, secret: env.POLYMARKET_API_SECRET, passphrase: env.POLYMARKET_API_PASSPHRASE });
  clob.onUser = (m) => user.push(m);
  const chain = await JsonRpcChain.start(137);
  const clock = new FeedTimeClock();
  clock.t = T0;
  const config = parseConfig({ service: { mode: 'live', metricsPort: 0, controlPort: 0, tickMs: 3_600_000 }, feeds: { clobUrl: clob.url, clobUserWsUrl: user.url }, live: { limitOrderType: 'GTC', rpcUrl: chain.url, receiptPollMs: 20 } });
  const logPath = join(dir, 'events.jsonl');
  const start = (extra: Strategy[]) => startService({ config, logPath, env, logger: pino({ level: 'silent' }), clock, live: true, extraStrategies: extra, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
  const strategy = probe(market.id, [{ tokenId: '1001', price: '0.43', size: '12' }, { tokenId: '1001', price: '0.4', size: '5' }]);
  const debugPortfolio = async (r: RunningService) => JSON.parse((await httpRequest(`${r.controlServer.url}/debug/portfolio`, 'GET', 5000, { authorization: `Bearer ${TOKEN}` })).body) as Record<string, unknown>;
  let running: RunningService | null = null;
  let served: Record<string, unknown>;
  try {
    running = await start([strategy]);
    await running.service.append(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }));
    await running.service.append(makeEvent('book', T0 + 1, { source: 'clob_ws', tokenId: '1001', market: market.conditionId, bids: [{ price: '0.42', size: '100' }], asks: [{ price: '0.44', size: '100' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
    await waitFor(() => clob.orders.size === 2 && user.sessions === 1, 'orders resting, channel subscribed', 10_000);
    const hash = [...clob.orders.values()].find((o) => o.price.eq('0.43'))!.id;
    clob.fillResting(hash, '5');
    clob.fillResting(hash, '7');
    await waitFor(() => strategy.fills.length === 2, 'both fills reached the strategy', 10_000);
    await running.broker!.settled();
    // The kill switch cancels the bid still resting (the cancels of timed-out orders join here as they land), then trading resumes.
    const control = (action: string) => httpRequest(`${running!.controlServer.url}/control/${action}`, 'POST', 5000, { authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse((await control('kill')).body)).toMatchObject({ action: 'kill', cancelled: ['probe:2'] });
    await waitFor(() => running!.service.system.pending.count() === 0, 'the cancelled order ended', 10_000);
    expect((await control('resume')).status).toBe(200);
    // The wallet holds the 12 shares on chain; the market resolves for them.
    chain.hold(wallet, '1001', 12_000_000n);
    chain.conditions.set(CONDITION, { tokenIds: ['1001', '1002'], winner: 0 });
    chain.approve(wallet, chain.contracts.ctfAdapter); // approved earlier (tests/redeem-adapters.test.ts sends the approval)
    chain.holdReceipts = true;
    await running.service.append(makeEvent('market_resolved', T0 + 10, { market: CONDITION, winningTokenId: '1001', winningOutcome: 'Yes' }));
    await waitFor(() => chain.redemptions.length === 1, 'redemption sent', 10_000);
    // Resolved, not yet redeemed: the P&L is realised, the payout is due, cash does not have it.
    const due = await debugPortfolio(running);
    expect([due.cash, due.redeemable, due.realised]).toEqual(['994.84', { '1001': '12' }, '6.84']);
    chain.holdReceipts = false;
    await running.redeemer!.settled();
    await waitFor(() => running!.service.system.portfolio.redeemable().length === 0, 'payout booked', 10_000);
    // A second resolution message for the same market: nothing new is due, nothing is sent.
    await running.service.append(makeEvent('market_resolved', T0 + 20, { market: CONDITION, winningTokenId: '1001', winningOutcome: 'Yes' }));
    await running.redeemer!.settled();
    served = await debugPortfolio(running);
  } finally {
    await running?.stop('test');
    running = null;
  }
  try {
    expect([served.cash, served.redeemable, served.realised, served.positions]).toEqual(['1006.84', {}, '6.84', {}]);
    expect(chain.redemptions.map((t) => [t.function, t.from, t.to.toLowerCase(), t.args])).toEqual([['redeemPositions', wallet.toLowerCase(), chain.contracts.ctfAdapter.toLowerCase(), [chain.contracts.collateral, `0x${'0'.repeat(64)}`, CONDITION, [1n, 2n]]]]);
    expect(chain.redeemSends).toBe(1);
    expect([chain.balance(wallet, '1001'), chain.paid.get(wallet.toLowerCase())]).toEqual([0n, 12_000_000n]);
    const events = (await readAllEvents(logPath)).records.map((r) => r.event);
    const of = (orderId: string) => events.filter((e) => (e.type === 'order_intent' || e.type === 'order_update' || e.type === 'exchange_fill') && e.orderId === orderId).map((e) => (e.type === 'order_update' ? `order_update:${e.status}` : e.type));
    // The POST's answer (accepted) and the streamed fills race: their order in the log is the order they arrived in.
    const inOrder = (kinds: string[]) => [...kinds.slice(0, 2), ...kinds.slice(2, -1).sort(), kinds.at(-1)];
    expect(inOrder(of('probe:1'))).toEqual(['order_intent', 'order_update:submitted', 'exchange_fill', 'exchange_fill', 'order_update:accepted', 'order_update:filled']);
    // The kill switch logs each cancel before it sends it (docs/live-orders.md, "Cancels").
    expect(of('probe:2')).toEqual(['order_intent', 'order_update:submitted', 'order_update:accepted', 'order_update:cancel_submitted', 'order_update:cancelled']);
    const after = events.slice(events.findIndex((e) => e.type === 'risk_control'));
    const tail = after.filter((e) => ['risk_control', 'order_update', 'market_resolved', 'redemption_intent', 'redemption'].includes(e.type)).map((e) => (e.type === 'risk_control' ? e.action : e.type === 'order_update' || e.type === 'redemption' ? `${e.type}:${e.status}` : e.type));
    expect(tail).toEqual(['kill', 'order_update:cancel_submitted', 'order_update:cancelled', 'resume', 'market_resolved', 'redemption_intent', 'redemption:submitted', 'redemption:confirmed', 'market_resolved']);
    const confirmed = events.find((e) => e.type === 'redemption' && e.status === 'confirmed');
    expect(confirmed).toMatchObject({ intentId: `redeem:${CONDITION}`, tokenId: '1001', payout: '12', txHash: chain.redemptions[0].hash });
    // The log folds to the served portfolio, and a restart rebuilds it without sending anything.
    expect(JSON.parse(JSON.stringify(Portfolio.fromEvents(config.risk.startingCapital, events)))).toEqual(served);
    const again = await start([probe(market.id, [{ tokenId: '1001', price: '0.43', size: '12' }, { tokenId: '1001', price: '0.4', size: '5' }])]);
    try {
      await again.redeemer!.settled();
      expect(JSON.parse(JSON.stringify(again.service.system.portfolio))).toEqual(served);
      expect(chain.redeemSends).toBe(1);
    } finally {
      await again.stop('test');
    }
  } finally {
    await clob.close();
    await user.stop();
    await chain.close();
  }
}, 60_000);
