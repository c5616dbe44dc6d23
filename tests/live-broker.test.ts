import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import Big from 'big.js';
import { getContractConfig } from '@polymarket/clob-client-v2';
import { hashTypedData, keccak256, recoverTypedDataAddress, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { SimulatedClock, SystemClock } from '../events/clock';
import { makeEvent, type InputEvent, type MarketInfo, type OrderUpdateEvent, type ExchangeFillEvent, type RiskRejectionEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import { configSchema } from '../actors/config/schema';
import { LiveBroker, liveBrokerFromConfig, type LiveConfig } from '../actors/execution/liveBroker';
import type { LiveCredentials } from '../actors/venues/polymarket/credentials';
import { ClobOrderServer, type Recorded } from './support/clobOrderServer';
import { liveRig, type LiveRig } from './support/liveRig';
import { context, intent, marketInfo } from './support/execution';

const wall = new SystemClock();
const T0 = 1_760_000_000_000;
const CHAIN = 137;
const contracts = getContractConfig(CHAIN);

// A throwaway wallet and made-up API credentials, new for every run.
const privateKey = generatePrivateKey();
const wallet = privateKeyToAccount(privateKey).address;
const apiSecret = Buffer.from(`secret-${privateKey.slice(2, 18)}`).toString('base64url');
const creds: LiveCredentials = { privateKey, apiKey: `key-${privateKey.slice(20, 32)}`, apiSecret, apiPassphrase: `pass-${privateKey.slice(40, 52)}`, funder: null };

const liveConfig: LiveConfig = { chainId: CHAIN, signatureType: 0, limitOrderType: 'GTD', gtdTtlMs: 120_000, submitTimeoutMs: 1_000, reconcileAttempts: 3, reconcileIntervalMs: 500, heartbeatMs: 5_000 };

const plain: MarketInfo = marketInfo({ id: 'm-plain', conditionId: '0xc0ffee', tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });
const negRisk: MarketInfo = marketInfo({ id: 'm-neg', conditionId: '0xbeef', tokenIds: ['2001', '2002'], tickSize: '0.001', minSize: '5', negRisk: true, negRiskMarketId: '0xe1', feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true } });

const ORDER_TYPES = {
  Order: [
    { name: 'salt', type: 'uint256' },
    { name: 'maker', type: 'address' },
    { name: 'signer', type: 'address' },
    { name: 'tokenId', type: 'uint256' },
    { name: 'makerAmount', type: 'uint256' },
    { name: 'takerAmount', type: 'uint256' },
    { name: 'side', type: 'uint8' },
    { name: 'signatureType', type: 'uint8' },
    { name: 'timestamp', type: 'uint256' },
    { name: 'metadata', type: 'bytes32' },
    { name: 'builder', type: 'bytes32' },
  ],
} as const;

type Rig = LiveRig;

let rigs: Rig[] = [];

async function rig(config: Partial<LiveConfig> = {}): Promise<Rig> {
  const server = await ClobOrderServer.start(CHAIN);
  server.markets.push({ conditionId: plain.conditionId, tokenIds: plain.tokenIds, tickSize: plain.tickSize, negRisk: false }, { conditionId: negRisk.conditionId, tokenIds: negRisk.tokenIds, tickSize: negRisk.tickSize, negRisk: true });
  const r = liveRig(server, new SimulatedClock(T0), creds, { ...liveConfig, ...config });
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs) {
    await r.broker.close();
    await r.server.close();
  }
  rigs = [];
});

/** Waits (wall time) until `cond` holds: the broker and the server talk over real sockets. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await wall.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const updates = (r: Rig) => r.events.filter((e): e is OrderUpdateEvent => e.type === 'order_update');
const fills = (r: Rig) => r.events.filter((e): e is ExchangeFillEvent => e.type === 'exchange_fill');
const statuses = (r: Rig) => updates(r).map((u) => `${u.status}:${u.reason}`);
const posted = (r: Rig): Recorded[] => r.server.requests.filter((q) => q.method === 'POST' && q.path === '/order');
const header = (q: Recorded, name: string) => String(q.headers[name.toLowerCase()]);

function hmac(q: Recorded): string {
  const key = Buffer.from(apiSecret, 'base64url');
  // URL-safe base64 that keeps its '=' padding (as Polymarket's own clients send it)
  const digest = createHmac('sha256', key).update(`${header(q, 'POLY_TIMESTAMP')}${q.method}${q.path}${q.raw}`).digest('base64');
  return digest.replace(/\+/g, '-').replace(/\//g, '_');
}

function typedOrder(order: Record<string, unknown>) {
  return {
    salt: BigInt(order.salt as number),
    maker: order.maker as Hex,
    signer: order.signer as Hex,
    tokenId: BigInt(order.tokenId as string),
    makerAmount: BigInt(order.makerAmount as string),
    takerAmount: BigInt(order.takerAmount as string),
    side: order.side === 'BUY' ? 0 : 1,
    signatureType: order.signatureType as number,
    timestamp: BigInt(order.timestamp as string),
    metadata: order.metadata as Hex,
    builder: order.builder as Hex,
  };
}

const domain = (verifyingContract: string) => ({ name: 'Polymarket CTF Exchange', version: '2', chainId: CHAIN, verifyingContract: verifyingContract as Hex });
const micro = (x: Big) => x.times(1_000_000).toFixed(0);

describe('live broker: nothing is sent without --live and credentials', () => {
  it('refuses to construct, and the factory refuses every half-way configuration, with zero requests', async () => {
    const server = await ClobOrderServer.start(CHAIN);
    try {
      const deps = { clock: new SimulatedClock(T0), append: () => undefined };
      const base = { credentials: creds, clobUrl: server.url, config: liveConfig, ...deps };
      expect(() => new LiveBroker({ ...base, live: false })).toThrow(/live: true/);
      expect(() => new LiveBroker({ ...base, live: true, credentials: null })).toThrow(/credentials/);

      const env = { POLYMARKET_PRIVATE_KEY: privateKey, POLYMARKET_API_KEY: creds.apiKey, POLYMARKET_API_SECRET: apiSecret, POLYMARKET_API_PASSPHRASE: creds.apiPassphrase };
      const config = (mode: 'paper' | 'live') => configSchema.parse({ service: { mode }, feeds: { clobUrl: server.url } });
      expect(liveBrokerFromConfig(config('paper'), { live: false }, env, deps)).toBeNull();
      expect(() => liveBrokerFromConfig(config('live'), { live: false }, env, deps)).toThrow(/--live was not given/);
      expect(() => liveBrokerFromConfig(config('paper'), { live: true }, env, deps)).toThrow(/service.mode is 'paper'/);
      const partial = { POLYMARKET_PRIVATE_KEY: privateKey, POLYMARKET_API_KEY: creds.apiKey };
      let message = '';
      try {
        liveBrokerFromConfig(config('live'), { live: true }, partial, deps);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/POLYMARKET_API_SECRET, POLYMARKET_API_PASSPHRASE/);
      expect(message).not.toContain(privateKey.slice(2));
      expect(message).not.toContain(creds.apiKey);

      const broker = liveBrokerFromConfig(config('live'), { live: true }, env, deps);
      expect(broker).toBeInstanceOf(LiveBroker);
      await broker!.close();
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('refuses orders on unknown or guessed market data before signing anything', async () => {
    const r = await rig();
    const refuse = (info: MarketInfo | undefined, over: Parameters<typeof intent>[0] = {}) => r.broker.execute(intent({ tokenId: '1001', price: '0.40', size: '10', ...over }), info && context(info, null, T0), T0) as RiskRejectionEvent;
    expect(refuse(undefined).reason).toBe('unknown_market');
    expect(refuse({ ...plain, defaulted: ['negRisk'] }).reason).toBe('market_data_incomplete');
    expect(refuse({ ...plain, tickSize: '0.02' }).reason).toBe('tick_size_unsupported');
    expect(refuse(plain, { price: '0.405' }).reason).toBe('off_tick');
    expect(refuse(plain, { size: '4.99' }).reason).toBe('below_min_size');
    expect(r.server.requests).toHaveLength(0);
    expect(r.events).toHaveLength(0);
  });
});

describe('live broker: signed orders and answers', () => {
  it('posts a GTD limit BUY signed by the wallet with L2 HMAC headers, then reports it submitted and accepted and heartbeats while it rests', async () => {
    const r = await rig();
    const order = intent({ orderId: 'fc-7', tokenId: '1001', side: 'BUY', price: '0.43', size: '12.5', orderType: 'limit', ts: T0 });
    expect(r.broker.execute(order, context(plain, null, T0), T0)).toBeNull();
    await until(() => updates(r).length >= 2 && r.server.count('POST', '/v1/heartbeats') >= 1, 'accepted and first heartbeat');

    const [q] = posted(r);
    expect(posted(r)).toHaveLength(1);
    const body = JSON.parse(q.raw) as { order: Record<string, unknown>; owner: string; orderType: string };
    expect(body.orderType).toBe('GTD');
    expect(body.owner).toBe(creds.apiKey);
    const o = body.order;
    expect(o.maker).toBe(wallet);
    expect(o.signer).toBe(wallet);
    expect(o.tokenId).toBe('1001');
    expect(o.side).toBe('BUY');
    expect(o.signatureType).toBe(0);
    expect(o.takerAmount).toBe(micro(new Big('12.5')));
    expect(o.makerAmount).toBe(micro(new Big('0.43').times('12.5')));
    expect(o.metadata).toBe(keccak256(toHex('fc-7')));
    expect(o.expiration).toBe(String(Math.floor((T0 + liveConfig.gtdTtlMs) / 1000) + 60));
    const signer = await recoverTypedDataAddress({ domain: domain(contracts.exchangeV2), types: ORDER_TYPES, primaryType: 'Order', message: typedOrder(o), signature: o.signature as Hex });
    expect(signer).toBe(wallet);

    expect(header(q, 'POLY_ADDRESS')).toBe(wallet);
    expect(header(q, 'POLY_API_KEY')).toBe(creds.apiKey);
    expect(header(q, 'POLY_PASSPHRASE')).toBe(creds.apiPassphrase);
    expect(header(q, 'POLY_SIGNATURE')).toBe(hmac(q));

    const hash = hashTypedData({ domain: domain(contracts.exchangeV2), types: ORDER_TYPES, primaryType: 'Order', message: typedOrder(o) });
    expect(statuses(r)).toEqual(['submitted:GTD', 'accepted:live']);
    expect(updates(r).map((u) => u.exchangeOrderId)).toEqual([hash, hash]);
    for (const e of r.events) expect(() => validateEvent(JSON.parse(JSON.stringify(e)), { file: 'events' })).not.toThrow();

    // heartbeats chain the venue's id, on the injected clock
    const beats = () => r.server.requests.filter((x) => x.path === '/v1/heartbeats');
    expect(JSON.parse(beats()[0].raw)).toEqual({ heartbeat_id: '' });
    await until(() => r.clock.pendingCount === 1, 'first poll scheduled');
    r.clock.advanceTo(T0 + liveConfig.heartbeatMs);
    await until(() => beats().length === 2, 'second heartbeat');
    expect(JSON.parse(beats()[1].raw)).toEqual({ heartbeat_id: 'hb-1' });
    expect(header(beats()[1], 'POLY_SIGNATURE')).toBe(hmac(beats()[1]));

    // a taker lifts 5 of our 12.5 shares (we are the maker: no fee), then the order is cancelled
    await until(() => r.clock.pendingCount === 1, 'next poll scheduled');
    r.server.fillResting(hash, '5');
    r.clock.advanceTo(T0 + 2 * liveConfig.heartbeatMs);
    await until(() => fills(r).length === 1 && r.clock.pendingCount === 1, 'maker fill booked');
    expect(fills(r)[0]).toMatchObject({ orderId: 'fc-7', tokenId: '1001', side: 'BUY', price: '0.43', size: '5', fee: '0' });
    r.server.cancel(hash);
    r.clock.advanceTo(T0 + 3 * liveConfig.heartbeatMs);
    await until(() => updates(r).length === 3, 'cancellation');
    expect(statuses(r)[2]).toBe('cancelled:canceled');
    expect(fills(r)).toHaveLength(1);
    expect(r.broker.openOrders()).toEqual([]);
    expect(r.clock.pendingCount).toBe(0);
  });

  it('signs a FOK market BUY for a negRisk market under the negRisk exchange and books its taker fill with the market fee', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'match' });
    r.broker.execute(intent({ orderId: 'nr-1', tokenId: '2001', side: 'BUY', price: '0.372', size: '20', orderType: 'fok', ts: T0 }), context(negRisk, null, T0), T0);
    await until(() => fills(r).length === 1 && !r.broker.openOrders().length && updates(r).length === 3, 'fill');

    const o = (JSON.parse(posted(r)[0].raw) as { order: Record<string, unknown>; orderType: string }).order;
    expect((JSON.parse(posted(r)[0].raw) as { orderType: string }).orderType).toBe('FOK');
    const usdc = new Big('0.372').times('20').round(2, Big.roundDown);
    expect(o.makerAmount).toBe(micro(usdc));
    expect(await recoverTypedDataAddress({ domain: domain(contracts.negRiskExchangeV2), types: ORDER_TYPES, primaryType: 'Order', message: typedOrder(o), signature: o.signature as Hex })).toBe(wallet);
    expect(await recoverTypedDataAddress({ domain: domain(contracts.exchangeV2), types: ORDER_TYPES, primaryType: 'Order', message: typedOrder(o), signature: o.signature as Hex })).not.toBe(wallet);

    const shares = new Big(o.takerAmount as string).div(1_000_000);
    const price = usdc.div(shares);
    const fee = shares.times('0.07').times(price.times(new Big(1).minus(price))).round(5, Big.roundDown);
    // The venue's MATCHED ends the order once its trades are booked: the fill, then `filled`.
    expect(statuses(r)).toEqual(['submitted:FOK', 'accepted:matched', 'filled:matched']);
    expect(r.events.map((e) => e.type)).toEqual(['order_update', 'order_update', 'exchange_fill', 'order_update']);
    const [f] = fills(r);
    expect(new Big(f.size).eq(shares)).toBe(true);
    expect(new Big(f.price).eq(price)).toBe(true);
    expect(new Big(f.fee).eq(fee)).toBe(true);
    expect(r.clock.pendingCount).toBe(0);
  });

  it('maps a venue refusal to a rejected order_update without looking the order up or posting again', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'reject', status: 400, error: 'not enough balance / allowance' });
    r.broker.execute(intent({ orderId: 'rj-1', tokenId: '1002', side: 'BUY', price: '0.55', size: '10', orderType: 'market', ts: T0 }), context(plain, null, T0), T0);
    await until(() => updates(r).length === 2, 'rejection');
    expect(statuses(r)).toEqual(['submitted:FAK', 'rejected:exchange_rejected']);
    expect(updates(r)[1].detail).toContain('not enough balance / allowance');
    expect(posted(r)).toHaveLength(1);
    expect(r.server.count('GET', '/data/order/')).toBe(0);
  });

  it('sends one intent once, however often it is executed', async () => {
    const r = await rig();
    const order = intent({ orderId: 'dup-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'fok', ts: T0 });
    r.server.postModes.push({ kind: 'match' });
    expect(r.broker.execute(order, context(plain, null, T0), T0)).toBeNull();
    expect(r.broker.execute(order, context(plain, null, T0), T0)).toBeNull();
    await r.broker.settled();
    expect(r.broker.execute(order, context(plain, null, T0), T0)).toBeNull();
    await r.broker.settled();
    expect(posted(r)).toHaveLength(1);
  });
});

describe('live broker: a POST without an answer is reconciled, never resent', () => {
  it('finds the order the venue recorded by its hash and reports it accepted; the late answer changes nothing', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'hold' });
    r.broker.execute(intent({ orderId: 'to-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
    await until(() => posted(r).length === 1 && r.server.orders.size === 1, 'the order reached the venue');
    expect(statuses(r)).toEqual(['submitted:GTD']);
    r.clock.advanceTo(T0 + liveConfig.submitTimeoutMs);
    await until(() => updates(r).length === 2, 'reconciliation');
    expect(statuses(r)).toEqual(['submitted:GTD', 'accepted:reconciled_live']);
    const [hash] = [...r.server.orders.keys()];
    expect(updates(r)[1].exchangeOrderId).toBe(hash);
    expect(r.server.count('GET', `/data/order/${hash}`)).toBeGreaterThanOrEqual(1);

    r.server.release();
    await r.broker.settled();
    await wall.sleep(50);
    expect(statuses(r)).toEqual(['submitted:GTD', 'accepted:reconciled_live']);
    expect(posted(r)).toHaveLength(1);
  });

  it('reports an order the venue never saw as not placed after the configured lookups, and posts it only once', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'lose' });
    r.broker.execute(intent({ orderId: 'lost-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'fok', ts: T0 }), context(plain, null, T0), T0);
    await until(() => posted(r).length === 1, 'the POST');
    const lookups = () => r.server.count('GET', '/data/order/');
    let t = T0 + liveConfig.submitTimeoutMs;
    r.clock.advanceTo(t);
    for (let n = 1; n < liveConfig.reconcileAttempts; n++) {
      await until(() => lookups() === n && r.clock.pendingCount === 1, `lookup ${n}`);
      t += liveConfig.reconcileIntervalMs;
      r.clock.advanceTo(t);
    }
    await until(() => updates(r).length === 2, 'verdict');
    expect(lookups()).toBe(liveConfig.reconcileAttempts);
    expect(statuses(r)).toEqual(['submitted:FOK', 'rejected:not_found_after_timeout']);
    expect(posted(r)).toHaveLength(1);
  });

  it('after a restart, an order logged as submitted is looked up, not posted', async () => {
    const first = await rig();
    first.server.postModes.push({ kind: 'hold' });
    const order = intent({ orderId: 'rs-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'limit', ts: T0 });
    first.broker.execute(order, context(plain, null, T0), T0);
    await until(() => first.server.orders.size === 1 && updates(first).length === 1, 'submitted');
    // the process dies here; a new broker reads the log against the same venue
    const clock = new SimulatedClock(T0 + 60_000);
    const events: InputEvent[] = [];
    const second = new LiveBroker({ live: true, credentials: creds, clobUrl: first.server.url, config: liveConfig, clock, append: (e) => void events.push(e) });
    rigs.push({ ...first, broker: second, clock, events });
    second.recover([order, ...first.events]);
    await second.resume(() => context(plain, null, T0));
    expect(events.filter((e) => e.type === 'order_update').map((e) => `${(e as OrderUpdateEvent).status}:${(e as OrderUpdateEvent).reason}`)).toEqual(['accepted:reconciled_live']);
    expect(second.execute(order, context(plain, null, T0), T0)).toBeNull();
    await second.settled();
    expect(posted(first)).toHaveLength(1);
  });
});

describe('live broker: an intent logged but never sent', () => {
  it('is reported rejected: not_sent after a restart, and never posted', async () => {
    const r = await rig();
    const unsent = intent({ orderId: 'ns-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'limit', ts: T0 });
    const refused = intent({ orderId: 'ns-2', tokenId: '1001', price: '0.40', size: '10', orderType: 'limit', ts: T0 });
    r.broker.recover([unsent, refused, makeEvent('risk_rejection', T0, { orderId: 'ns-2', strategy: 's1', reason: 'max_heat', detail: 'total exposure would be 40' })]);
    await r.broker.resume(() => context(plain, null, T0));
    expect(statuses(r)).toEqual(['rejected:not_sent']);
    expect(updates(r)[0]).toMatchObject({ orderId: 'ns-1', strategy: 's1', tokenId: '1001', exchangeOrderId: '' });
    expect(() => validateEvent(JSON.parse(JSON.stringify(updates(r)[0])), { file: 'events' })).not.toThrow();
    expect(r.broker.execute(unsent, context(plain, null, T0), T0)).toBeNull();
    await r.broker.settled();
    expect(r.server.requests).toHaveLength(0);
  });
});

describe('live broker: secrets', () => {
  it('never puts the key, the API secret or the passphrase in events or problem reports', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'match' }, { kind: 'reject', status: 401, error: 'Unauthorized/Invalid api key' });
    r.broker.execute(intent({ orderId: 's-1', tokenId: '1001', price: '0.40', size: '10', orderType: 'fok', ts: T0 }), context(plain, null, T0), T0);
    r.broker.execute(intent({ orderId: 's-2', tokenId: '1001', price: '0.40', size: '10', orderType: 'fok', ts: T0 }), context(plain, null, T0), T0);
    // Both orders answered (the matched one may also report `filled`), then everything the broker does after.
    await until(() => new Set(updates(r).filter((u) => u.status !== 'submitted').map((u) => u.orderId)).size === 2, 'answers');
    await r.broker.settled();
    expect([...statuses(r)].sort()).toEqual(['accepted:matched', 'filled:matched', 'rejected:exchange_rejected', 'submitted:FOK', 'submitted:FOK']);
    const text = JSON.stringify(r.events) + r.problems.join('\n') + JSON.stringify(r.broker) + inspect(r.broker, { depth: 6 });
    for (const secret of [privateKey.slice(2), apiSecret, creds.apiPassphrase, creds.apiKey]) expect(text).not.toContain(secret);
  });
});
