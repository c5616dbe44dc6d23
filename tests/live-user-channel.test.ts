import { readFileSync } from 'node:fs';
import { generatePrivateKey } from 'viem/accounts';
import { SimulatedClock, SystemClock } from '../events/clock';
import type { ExchangeFillEvent, FeedStatusEvent, InputEvent, MarketInfo, OrderUpdateEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import { Portfolio } from '../actors/execution/portfolio';
import { LiveBroker, type LiveConfig } from '../actors/execution/liveBroker';
import type { LiveCredentials } from '../actors/venues/polymarket/credentials';
import { fillsOfTrade, parseUserFrame, type UserTradeMessage } from '../actors/venues/polymarket/userChannelParse';
import { ClobOrderServer } from './support/clobOrderServer';
import { context, intent, marketInfo } from './support/execution';
import { describeWithShared } from './support/shared';
import { UserChannelServer } from './support/userChannelServer';
import { waitFor } from './support/wsReplayServer';
import { OperatorControl } from '../actors/service/control';
import { startControlServer } from '../actors/service/controlServer';
import { httpRequest } from './chaos/support/http';

const wall = new SystemClock();
const T0 = 1_760_000_000_000;
const privateKey = generatePrivateKey();
const creds: LiveCredentials = { privateKey, apiKey: `key-${privateKey.slice(20, 32)}`, apiSecret: Buffer.from(`secret-${privateKey.slice(2, 18)}`).toString('base64url'), apiPassphrase: `pass-${privateKey.slice(40, 52)}`, funder: null };
const liveConfig: LiveConfig = { chainId: 137, signatureType: 0, limitOrderType: 'GTC', gtdTtlMs: 120_000, submitTimeoutMs: 1_000, reconcileAttempts: 3, reconcileIntervalMs: 500, heartbeatMs: 5_000 };
const WATCHDOG = 15_000;
const PING = 10_000;
const plain: MarketInfo = marketInfo({ id: 'm-plain', conditionId: '0xc0ffee', tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });

interface Rig {
  server: ClobOrderServer;
  user: UserChannelServer;
  clock: SimulatedClock;
  broker: LiveBroker;
  events: InputEvent[];
}
let rigs: Rig[] = [];

async function rig(onProblem?: (message: string) => void): Promise<Rig> {
  const server = await ClobOrderServer.start(137);
  server.markets.push({ conditionId: plain.conditionId, tokenIds: plain.tokenIds, tickSize: plain.tickSize, negRisk: false });
  const user = await UserChannelServer.start({ apiKey: creds.apiKey, secret: creds.apiSecret, passphrase: creds.apiPassphrase });
  server.onUser = (m) => user.push(m);
  const clock = new SimulatedClock(T0);
  const events: InputEvent[] = [];
  const broker = new LiveBroker({
    live: true,
    credentials: creds,
    clobUrl: server.url,
    config: liveConfig,
    clock,
    append: (e) => void events.push(e),
    onProblem,
    userChannel: { url: user.url, random: () => 0.5, watchdogMs: WATCHDOG, reconnectBaseMs: 100, reconnectMaxMs: 100, pingMs: PING },
  });
  const r = { server, user, clock, broker, events };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs) {
    await r.broker.close();
    await r.server.close();
    await r.user.stop();
  }
  rigs = [];
});

/** The broker, the CLOB and the channel talk over real sockets: wait (wall time) for what they do. */
const until = (cond: () => boolean, what: string) => waitFor(cond, what);

const updates = (r: Rig) => r.events.filter((e): e is OrderUpdateEvent => e.type === 'order_update');
const statuses = (r: Rig) => updates(r).map((u) => `${u.status}:${u.reason}`);
const fills = (r: Rig) => r.events.filter((e): e is ExchangeFillEvent => e.type === 'exchange_fill');
const feed = (r: Rig) => r.events.filter((e): e is FeedStatusEvent => e.type === 'feed_status').map((e) => `${e.feed}:${e.status}`);
const polls = (r: Rig) => r.server.count('GET', '/data/trades');
const tradeStatuses = (r: Rig) => r.events.flatMap((e) => (e.type === 'trade_status' ? [`${e.tradeId}:${e.status}:${e.booked ? 'booked' : 'not booked'}`] : []));

/** A GTC BUY resting on the book, the user channel connected and subscribed to its market. */
async function resting(r: Rig, orderId: string): Promise<string> {
  r.broker.execute(intent({ orderId, tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
  await until(() => statuses(r).includes('accepted:live') && r.user.sessions === 1 && feed(r).includes('clob_user_ws:connected'), 'order accepted, channel up');
  await r.broker.settled();
  return updates(r)[0].exchangeOrderId;
}

describe('the CLOB user channel through the live broker', () => {
  it('authenticates, subscribes the order market by condition id, streams maker fills (booked once across MATCHED/MINED/CONFIRMED) and the final order event; no polling while it delivers', async () => {
    const r = await rig();
    const hash = await resting(r, 'fc-1');
    const hello = JSON.parse(r.user.ws.conns[0].received[0]) as Record<string, unknown>;
    expect(hello).toEqual({ auth: { apiKey: creds.apiKey, secret: creds.apiSecret, passphrase: creds.apiPassphrase }, markets: [plain.conditionId], type: 'user' });
    expect(r.user.ws.conns[0].path).toBe('/ws/user');
    const pollsAfterAccept = polls(r);

    r.server.fillResting(hash, '5');
    await until(() => fills(r).length === 1, 'first maker fill streamed');
    expect(fills(r)[0]).toMatchObject({ orderId: 'fc-1', tokenId: '1001', side: 'BUY', price: '0.43', size: '5', fee: '0', tradeId: 't1' });
    r.server.settle('t1', 'MINED');
    r.server.settle('t1', 'CONFIRMED');
    r.server.fillResting(hash, '7');
    await until(() => statuses(r).includes('filled:matched'), 'order filled by stream');
    expect(fills(r).map((f) => [f.tradeId, f.size])).toEqual([
      ['t1', '5'],
      ['t2', '7'],
    ]);
    // Heartbeats go on, trades are not polled while the channel delivers.
    r.clock.advanceTo(T0 + liveConfig.heartbeatMs);
    await r.broker.settled();
    expect(polls(r)).toBe(pollsAfterAccept);
    expect(r.broker.openOrders()).toEqual([]);
    for (const e of r.events) expect(() => validateEvent(JSON.parse(JSON.stringify(e)), { file: 'events' })).not.toThrow();
    // Through to the portfolio: the log (intent + what the broker appended) folds to 12 shares at 0.43, cash down 5.16.
    const sent = intent({ orderId: 'fc-1', strategy: 'flashCrash', tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 });
    const folded = Portfolio.fromEvents('1000', [sent, ...r.events].map((e, i) => ({ ...e, seq: i + 1 })));
    expect(folded.positions().map((p) => [p.tokenId, p.shares.toString()])).toEqual([['1001', '12']]);
    expect(folded.cash().toString()).toBe('994.84');
    // The trade's settlement is recorded once per status, after its one booking.
    expect(tradeStatuses(r)).toEqual(['t1:MINED:booked', 't1:CONFIRMED:booked']);
  });

  it('records trade statuses after MATCHED once each; a booked trade that FAILS is recorded and reported, one that only ever FAILED is never booked', async () => {
    const problems: string[] = [];
    const r = await rig((m) => void problems.push(m));
    const hash = await resting(r, 'fc-9');
    const trade = (id: string, status: string, size: string) => ({ event_type: 'trade', type: 'TRADE', id, status, market: plain.conditionId, asset_id: '1001', taker_order_id: 'someone', price: '0.43', size, side: 'SELL', maker_orders: [{ order_id: hash, price: '0.43', matched_amount: size }] });
    r.user.push(trade('t-ok', 'MATCHED', '3'));
    r.user.push(trade('t-ok', 'MATCHED', '3')); // the same status again: nothing new
    r.user.push(trade('t-ok', 'MINED', '3'));
    r.user.push(trade('t-ok', 'FAILED', '3'));
    r.user.push(trade('t-never', 'FAILED', '2'));
    await until(() => tradeStatuses(r).length === 3, 'three records');
    await r.broker.settled();
    expect(fills(r).map((f) => [f.tradeId, f.size])).toEqual([['t-ok', '3']]);
    expect(tradeStatuses(r)).toEqual(['t-ok:MINED:booked', 't-ok:FAILED:booked', 't-never:FAILED:not booked']);
    expect(problems).toEqual([expect.stringMatching(/^order fc-9: trade t-ok \(3 @ 0.43\) FAILED at the venue after it was booked; the fill is not reversed/)]);
    for (const e of r.events) expect(() => validateEvent(JSON.parse(JSON.stringify(e)), { file: 'events' })).not.toThrow();
  });

  it('a fill seen by the stream and by the poll is booked once', async () => {
    const r = await rig();
    const hash = await resting(r, 'fc-2');
    r.server.fillResting(hash, '4');
    await until(() => fills(r).length === 1, 'streamed fill');
    // The channel drops: the next heartbeat polls, and finds the same trade.
    r.user.ws.conns[0].drop();
    await until(() => feed(r).includes('clob_user_ws:disconnected'), 'disconnect seen');
    const before = polls(r);
    r.clock.advanceTo(T0 + liveConfig.heartbeatMs);
    await until(() => polls(r) > before, 'poll while down');
    await r.broker.settled();
    expect(fills(r).map((f) => f.tradeId)).toEqual(['t1']);
  });

  it('goes silent: the watchdog marks it stale, fills are polled meanwhile; on reconnect it resubscribes and reconciles, nothing twice', async () => {
    const r = await rig();
    const hash = await resting(r, 'fc-3');
    r.user.silent = true;
    r.server.fillResting(hash, '3'); // not pushed: the channel is silent
    let t = T0;
    while (!feed(r).includes('clob_user_ws:stale')) {
      t += 1_000;
      r.clock.advanceTo(t);
      await wall.sleep(2);
      if (t > T0 + 3 * WATCHDOG) throw new Error('never stale');
    }
    // Down: the heartbeat polls, and books the fill the stream missed.
    t += liveConfig.heartbeatMs;
    r.clock.advanceTo(t);
    await until(() => fills(r).length === 1, 'fill polled while silent');
    expect(fills(r)[0]).toMatchObject({ tradeId: 't1', size: '3' });
    // Recovery: a new socket authenticates with the market, the broker reconciles once.
    r.user.silent = false;
    r.server.fillResting(hash, '2'); // pushed to nobody yet, or to the new socket after it subscribed
    while (r.user.sessions < 2) {
      t += 100;
      r.clock.advanceTo(t);
      await wall.sleep(5);
      if (t > T0 + 10 * WATCHDOG) throw new Error('never reconnected');
    }
    await until(() => fills(r).length === 2, 'missed fill reconciled');
    await r.broker.settled();
    expect(JSON.parse(r.user.ws.conns[r.user.ws.conns.length - 1].received[0])).toMatchObject({ markets: [plain.conditionId], type: 'user' });
    expect(fills(r).map((f) => [f.tradeId, f.size])).toEqual([
      ['t1', '3'],
      ['t2', '2'],
    ]);
    // Delivering again: a fill streams, no new poll for it.
    const before = polls(r);
    r.server.fillResting(hash, '7');
    await until(() => statuses(r).includes('filled:matched'), 'filled by stream after recovery');
    expect(polls(r)).toBe(before);
    expect(feed(r).filter((s) => s.startsWith('clob_user_ws:'))).toEqual(expect.arrayContaining(['clob_user_ws:connected', 'clob_user_ws:stale']));
  });

  it('the kill switch path cancels resting orders (DELETE /orders) and the cancellation arrives by stream; a late trade of the cancelled order is still booked', async () => {
    const r = await rig();
    const hash = await resting(r, 'fc-4');
    r.server.fillResting(hash, '2');
    await until(() => fills(r).length === 1, 'partial fill');
    expect(await r.broker.cancelResting()).toEqual(['fc-4']);
    await until(() => statuses(r).includes('cancelled:canceled'), 'cancelled by stream');
    expect(JSON.parse(r.server.requests.find((q) => q.method === 'DELETE' && q.path === '/orders')!.raw)).toEqual([hash]);
    expect(updates(r).at(-1)!.detail).toBe('2 of 12 filled');
    // Cancelling again finds nothing resting: no request.
    expect(await r.broker.cancelResting()).toEqual([]);
    expect(r.server.count('DELETE', '/orders')).toBe(1);
    // A trade matched just before the cancel reaches us afterwards.
    r.user.push({ event_type: 'trade', type: 'TRADE', id: 't-late', status: 'MATCHED', market: plain.conditionId, asset_id: '1001', taker_order_id: 'someone', price: '0.43', size: '1', side: 'SELL', maker_orders: [{ order_id: hash, price: '0.43', matched_amount: '1' }] });
    await until(() => fills(r).length === 2, 'late fill');
    expect(fills(r)[1]).toMatchObject({ orderId: 'fc-4', tradeId: 't-late', size: '1', price: '0.43' });
  });

  it('refuses wrong credentials at the server: the channel is closed and nothing is delivered', async () => {
    const server = await ClobOrderServer.start(137);
    const user = await UserChannelServer.start({ apiKey: 'other', secret: 'other', passphrase: 'other' });
    try {
      const clock = new SimulatedClock(T0);
      const events: InputEvent[] = [];
      const broker = new LiveBroker({ live: true, credentials: creds, clobUrl: server.url, config: liveConfig, clock, append: (e) => void events.push(e), userChannel: { url: user.url, random: () => 0.5, watchdogMs: WATCHDOG, reconnectBaseMs: 100, reconnectMaxMs: 100, pingMs: PING } });
      server.markets.push({ conditionId: plain.conditionId, tokenIds: plain.tokenIds, tickSize: plain.tickSize, negRisk: false });
      broker.execute(intent({ orderId: 'x', tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
      await until(() => user.refusedAuth === 1 && events.some((e) => e.type === 'feed_status' && e.status === 'disconnected'), 'refused');
      expect(user.sessions).toBe(0);
      await broker.close();
    } finally {
      await server.close();
      await user.stop();
    }
  });
});

describe('user-channel decoding', () => {
  const trade = (over: Record<string, unknown> = {}) => JSON.stringify({ event_type: 'trade', id: 'tr-1', status: 'MATCHED', market: '0xm', asset_id: '7', taker_order_id: '0xT', price: '0.5', size: '10', maker_orders: [{ order_id: '0xA', price: '0.49', matched_amount: '4' }, { order_id: '0xb', price: '0.5', matched_amount: '6' }], ...over });

  it('reads trades with our order as taker or among the makers, and order events; reports bad messages without dropping the rest', () => {
    const frame = parseUserFrame(`[${trade()},{"event_type":"order","type":"CANCELLATION","id":"0xA","status":"CANCELED","market":"0xm","asset_id":"7","original_size":"12","size_matched":"","timestamp":"1703875205000"},{"event_type":"trade","id":5},{"event_type":"price_change"}]`, { file: 'ws' });
    expect(frame.ignored).toBe(1);
    expect(frame.errors.map((e) => e.message)).toEqual(["ws: field '[2].id': expected a string, got 5"]);
    const [t, o] = frame.messages;
    expect(fillsOfTrade(t as UserTradeMessage, '0xt')).toEqual([{ tradeId: 'tr-1', price: '0.5', size: '10', liquidity: 'taker', status: 'MATCHED' }]);
    expect(fillsOfTrade(t as UserTradeMessage, '0xB')).toEqual([{ tradeId: 'tr-1', price: '0.5', size: '6', liquidity: 'maker', status: 'MATCHED' }]);
    expect(fillsOfTrade(t as UserTradeMessage, '0xZ')).toEqual([]);
    expect(o).toEqual({ kind: 'order', orderId: '0xA', type: 'CANCELLATION', status: 'CANCELED', assetId: '7', market: '0xm', originalSize: '12', sizeMatched: '0', timestampMs: 1703875205000 });
    expect(parseUserFrame('nope', { file: 'ws' }).errors[0].message).toMatch(/^ws: not JSON: /);
  });
});

const SHAPES = ['placement', 'update', 'matched', 'cancellation', 'venue_cancel', 'fok_killed', 'msg'].map((n) => `polymarket/nautilus_trader/user_channel/ws_user_order_${n}.json`);
const TRADES = ['ws_user_trade.json', 'ws_user_trade_msg.json'].map((n) => `polymarket/nautilus_trader/user_channel/${n}`);

describeWithShared('user-channel decoding of the recorded venue shapes (NautilusTrader fixtures, ../shared)', [...SHAPES, ...TRADES], (paths) => {
  it('every order and trade shape decodes; the maker leg and the taker are found; a killed FOK reads 0 matched', () => {
    const decoded = paths.map((p) => parseUserFrame(readFileSync(p, 'utf8'), { file: p }));
    for (const d of decoded) expect(d.errors).toEqual([]);
    const messages = decoded.flatMap((d) => d.messages);
    expect(messages.map((m) => (m.kind === 'order' ? `${m.type}:${m.status.slice(0, 8)}` : `TRADE:${m.status}`))).toEqual([
      'PLACEMENT:LIVE',
      'UPDATE:LIVE',
      'UPDATE:MATCHED',
      'CANCELLATION:CANCELED',
      'CANCELLATION:INVALID',
      'CANCELLATION:CANCELED',
      'PLACEMENT:LIVE',
      'TRADE:CONFIRMED',
      'TRADE:CONFIRMED',
    ]);
    const fok = messages[5];
    expect(fok).toMatchObject({ kind: 'order', orderId: '0x78xx', originalSize: '12', sizeMatched: '0' });
    const t = messages[7] as UserTradeMessage;
    expect(fillsOfTrade(t, '0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12')).toEqual([{ tradeId: 'trade-0xabcdef1234', price: '0.5', size: '25.0', liquidity: 'taker', status: 'CONFIRMED' }]);
    expect(fillsOfTrade(t, '0xmaker01maker01maker01maker01maker01maker01maker01maker01maker01maker01')).toEqual([{ tradeId: 'trade-0xabcdef1234', price: '0.5000', size: '25.0000', liquidity: 'maker', status: 'CONFIRMED' }]);
  });
});

describe('the kill switch in live mode', () => {
  it('POST /control/kill on the control listener logs the kill, then cancels every resting order at the venue; the cancellations come back as order updates', async () => {
    const r = await rig();
    const a = await resting(r, 'k-1');
    r.broker.execute(intent({ orderId: 'k-2', tokenId: '1002', side: 'BUY', price: '0.5', size: '10', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
    await until(() => updates(r).filter((u) => u.status === 'accepted').length === 2, 'second order resting');
    await r.broker.settled();
    const b = updates(r).find((u) => u.orderId === 'k-2')!.exchangeOrderId;
    const token = 'kill-live-test-token-7d2e9c41';
    const control = new OperatorControl({ append: async (e) => void r.events.push(e), portfolio: () => ({}), cancelResting: () => r.broker.cancelResting() }, r.clock);
    const server = await startControlServer({ host: '127.0.0.1', port: 0, socket: null, token, routes: control.routes, onRefused: () => undefined });
    try {
      expect((await httpRequest(`${server.url}/control/kill`, 'POST')).status).toBe(401);
      expect(r.server.count('DELETE', '/orders')).toBe(0);
      const res = await httpRequest(`${server.url}/control/kill`, 'POST', 5000, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ action: 'kill', ts: T0, cancelled: ['k-1', 'k-2'] });
    } finally {
      await server.close();
    }
    await until(() => updates(r).filter((u) => u.status === 'cancelled').length === 2, 'both cancelled');
    expect(JSON.parse(r.server.requests.find((q) => q.method === 'DELETE')!.raw)).toEqual([a, b]);
    // The kill is in the log before the cancellations it caused.
    const kinds = r.events.map((e) => (e.type === 'risk_control' ? 'kill' : e.type === 'order_update' && e.status === 'cancelled' ? `cancelled:${e.orderId}` : null)).filter((x) => x !== null);
    expect(kinds).toEqual(['kill', 'cancelled:k-1', 'cancelled:k-2']);
    expect(r.broker.openOrders()).toEqual([]);
  });
});

describe('venue rules of now', () => {
  it('an answer carrying Poly-RateLimit-Warning is reported (first of each request, then every 100th) and counted; FOK/FAK trade ids are kept in the accepted record', async () => {
    const server = await ClobOrderServer.start(137);
    server.markets.push({ conditionId: plain.conditionId, tokenIds: plain.tokenIds, tickSize: plain.tickSize, negRisk: false });
    server.rateLimitWarnings.add('/order');
    const clock = new SimulatedClock(T0);
    const events: InputEvent[] = [];
    const problems: string[] = [];
    const broker = new LiveBroker({ live: true, credentials: creds, clobUrl: server.url, config: liveConfig, clock, append: (e) => void events.push(e), onProblem: (m) => void problems.push(m) });
    try {
      server.postModes.push({ kind: 'match' }, { kind: 'match' });
      broker.execute(intent({ orderId: 'w-1', tokenId: '1001', side: 'BUY', price: '0.43', size: '10', orderType: 'fok', ts: T0 }), context(plain, null, T0), T0);
      broker.execute(intent({ orderId: 'w-2', tokenId: '1001', side: 'BUY', price: '0.43', size: '10', orderType: 'fok', ts: T0 }), context(plain, null, T0), T0);
      await until(() => events.filter((e) => e.type === 'order_update' && e.status === 'filled').length === 2, 'both filled');
      await broker.settled();
      expect(broker.rateLimitWarnings).toEqual(new Map([['POST /order', 2]]));
      expect(problems.filter((p) => p.startsWith('rate limit warning'))).toEqual(["rate limit warning: POST /order would be refused under Polymarket's per-signer limits (1 so far); slow down"]);
      const accepted = events.filter((e): e is OrderUpdateEvent => e.type === 'order_update' && e.status === 'accepted');
      expect(accepted.map((a) => a.detail)).toEqual(['venue status matched; trades t1', 'venue status matched; trades t2']);
    } finally {
      await broker.close();
      await server.close();
    }
  });
});
