import { generatePrivateKey } from 'viem/accounts';
import { SimulatedClock, SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type CancelIntentEvent, type ExchangeFillEvent, type MarketInfo, type OrderUpdateEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import type { LiveConfig } from '../actors/execution/liveBroker';
import type { LiveCredentials } from '../actors/venues/polymarket/credentials';
import { ClobOrderServer } from './support/clobOrderServer';
import { liveRig, type LiveRig } from './support/liveRig';
import { context, intent, marketInfo } from './support/execution';
import { waitFor } from './support/wsReplayServer';

/**
 * Cancels at the live broker against the loopback CLOB (real HTTP, real L2 headers), fills polled (no
 * user channel here; tests/live-user-channel.test.ts streams them): DELETE /order for one order,
 * DELETE /orders for several, a lost answer looked up, a cancel of an ended order answered.
 */

const wall = new SystemClock();
const T0 = 1_760_000_000_000;
const privateKey = generatePrivateKey();
const creds: LiveCredentials = { privateKey, apiKey: `key-${privateKey.slice(20, 32)}`, apiSecret: Buffer.from(`secret-${privateKey.slice(2, 18)}`).toString('base64url'), apiPassphrase: `pass-${privateKey.slice(40, 52)}`, funder: null };
const liveConfig: LiveConfig = { chainId: 137, signatureType: 0, limitOrderType: 'GTC', gtdTtlMs: 120_000, submitTimeoutMs: 1_000, reconcileAttempts: 3, reconcileIntervalMs: 500, heartbeatMs: 5_000 };
const plain: MarketInfo = marketInfo({ id: 'm-plain', conditionId: '0xc0ffee', tokenIds: ['1001', '1002'], tickSize: '0.01', minSize: '5' });

type Rig = LiveRig;
let rigs: Rig[] = [];

async function rig(server?: ClobOrderServer, clock = new SimulatedClock(T0)): Promise<Rig> {
  if (!server) {
    server = await ClobOrderServer.start(137);
    server.markets.push({ conditionId: plain.conditionId, tokenIds: plain.tokenIds, tickSize: plain.tickSize, negRisk: false });
  }
  const r = liveRig(server, clock, creds, liveConfig);
  rigs.push(r);
  return r;
}

afterEach(async () => {
  const servers = new Set(rigs.map((r) => r.server));
  for (const r of rigs) await r.broker.close();
  for (const s of servers) await s.close();
  rigs = [];
});

/** The broker and the CLOB talk over real sockets: wait (wall time) for what they do. */
const until = (cond: () => boolean, what: string) => waitFor(cond, what);

const updates = (r: Rig) => r.events.filter((e): e is OrderUpdateEvent => e.type === 'order_update');
const statuses = (r: Rig, orderId?: string) => updates(r).filter((u) => orderId === undefined || u.orderId === orderId).map((u) => `${u.status}:${u.reason}`);
const fills = (r: Rig) => r.events.filter((e): e is ExchangeFillEvent => e.type === 'exchange_fill');
const deletes = (r: Rig) => r.server.requests.filter((q) => q.method === 'DELETE');
const cancelOf = (orderId: string, ts = T0 + 30_000): CancelIntentEvent => makeEvent('cancel_intent', ts, { orderId, strategy: 's', reason: 'order_timeout', detail: 'no final answer 30000 ms after it was sent' });

/** A GTC BUY of 12 resting on the book (accepted and looked at once); its venue id. */
async function resting(r: Rig, orderId: string): Promise<string> {
  r.broker.execute(intent({ orderId, tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
  await until(() => statuses(r, orderId).includes('accepted:live'), `${orderId} accepted`);
  await r.broker.settled();
  return updates(r).find((u) => u.orderId === orderId)!.exchangeOrderId;
}

describe('live broker: cancels', () => {
  it('cancels one open order with DELETE /order {orderID}, logging cancel_submitted first; the poll books its fills and ends it cancelled; a second cancel sends nothing', async () => {
    const r = await rig();
    const hash = await resting(r, 'c-1');
    r.server.fillResting(hash, '2');
    expect(r.broker.cancel([cancelOf('c-1')])).toEqual([]);
    await until(() => statuses(r).some((s) => s.startsWith('cancelled:')), 'cancelled');
    await r.broker.settled();
    const [del] = deletes(r);
    expect(deletes(r)).toHaveLength(1);
    expect(del.path).toBe('/order');
    expect(JSON.parse(del.raw)).toEqual({ orderID: hash });
    expect(del.headers['poly_api_key']).toBe(creds.apiKey);
    expect(r.server.cancellations).toEqual([hash]);
    expect(statuses(r)).toEqual(['submitted:GTC', 'accepted:live', 'cancel_submitted:order_timeout', 'cancelled:canceled']);
    expect(updates(r)[2]).toMatchObject({ exchangeOrderId: hash, detail: 'no final answer 30000 ms after it was sent' });
    expect(updates(r).at(-1)!.detail).toBe('2 of 12 filled');
    expect(fills(r).map((f) => f.size)).toEqual(['2']);
    for (const e of r.events) expect(() => validateEvent(JSON.parse(JSON.stringify(e)), { file: 'events' })).not.toThrow();

    // Asked again (a replayed intent, a second give-up): nothing goes out.
    r.broker.cancel([cancelOf('c-1')]);
    await r.broker.settled();
    expect(deletes(r)).toHaveLength(1);
    // An order the broker never sent is not the venue's business either.
    r.broker.cancel([cancelOf('never-sent')]);
    await r.broker.settled();
    expect(deletes(r)).toHaveLength(1);
  });

  it('cancels several orders asked together in one DELETE /orders', async () => {
    const r = await rig();
    const a = await resting(r, 'c-a');
    const b = await resting(r, 'c-b');
    r.broker.cancel([cancelOf('c-a'), cancelOf('c-b')]);
    await until(() => statuses(r).filter((s) => s.startsWith('cancelled:')).length === 2, 'both cancelled');
    await r.broker.settled();
    expect(deletes(r).map((q) => q.path)).toEqual(['/orders']);
    expect(JSON.parse(deletes(r)[0].raw)).toEqual([a, b]);
    expect(r.server.cancellations.sort()).toEqual([a, b].sort());
  });

  it('answer lost after the venue cancelled: the order is looked up, found cancelled, and not cancelled again', async () => {
    const r = await rig();
    const hash = await resting(r, 'c-lost');
    r.server.cancelModes.push('cancelSilently');
    r.broker.cancel([cancelOf('c-lost')]);
    await until(() => deletes(r).length === 1 && r.server.cancellations.length === 1, 'the DELETE reached the venue');
    const lookups = r.server.count('GET', '/data/order/');
    // The answer never comes: submitTimeoutMs, then reconcileIntervalMs, then the lookup.
    r.clock.advanceTo(T0 + liveConfig.submitTimeoutMs);
    await until(() => r.clock.pendingCount >= 1 && r.server.count('GET', '/data/order/') === lookups, 'waiting to look up');
    r.clock.advanceTo(T0 + liveConfig.submitTimeoutMs + liveConfig.reconcileIntervalMs);
    await until(() => statuses(r).some((s) => s.startsWith('cancelled:')), 'found cancelled');
    await r.broker.settled();
    expect(deletes(r)).toHaveLength(1);
    expect(r.server.cancellations).toEqual([hash]);
    expect(statuses(r, 'c-lost')).toEqual(['submitted:GTC', 'accepted:live', 'cancel_submitted:order_timeout', 'cancelled:canceled']);
  });

  it('cancel lost on the way to the venue: the lookup finds the order live and the cancel is sent again; the venue cancels it once', async () => {
    const r = await rig();
    const hash = await resting(r, 'c-resend');
    r.server.cancelModes.push('lose');
    r.broker.cancel([cancelOf('c-resend')]);
    await until(() => deletes(r).length === 1, 'the first DELETE');
    expect(r.server.cancellations).toEqual([]);
    let t = T0 + liveConfig.submitTimeoutMs;
    r.clock.advanceTo(t);
    t += liveConfig.reconcileIntervalMs;
    for (let i = 0; i < 50 && deletes(r).length < 2; i++) {
      await wall.sleep(10);
      r.clock.advanceTo(t);
    }
    await until(() => statuses(r).some((s) => s.startsWith('cancelled:')), 'cancelled by the second DELETE');
    await r.broker.settled();
    expect(deletes(r).map((q) => JSON.parse(q.raw))).toEqual([{ orderID: hash }, { orderID: hash }]);
    expect(r.server.cancellations).toEqual([hash]);
    expect(statuses(r, 'c-resend').filter((s) => s.startsWith('cancelled:'))).toHaveLength(1);
    expect(r.problems).toEqual([]);
  });

  it('a cancel of an order the venue has already matched is answered not_cancelled and the order ends filled, its trades booked', async () => {
    const r = await rig();
    const hash = await resting(r, 'c-done');
    // Matched at the venue before our cancel arrives; the broker has not polled since.
    r.server.fillResting(hash, '12');
    r.broker.cancel([cancelOf('c-done')]);
    await until(() => statuses(r).some((s) => s.startsWith('filled:')), 'filled');
    await r.broker.settled();
    expect(statuses(r)).toEqual(['submitted:GTC', 'accepted:live', 'cancel_submitted:order_timeout', 'not_cancelled:venue_not_canceled', 'filled:matched']);
    expect(updates(r)[3].detail).toBe('already canceled or matched');
    expect(fills(r).map((f) => f.size)).toEqual(['12']);
    expect(r.server.cancellations).toEqual([]);
  });

  it('a cancel asked while the POST is unanswered goes out once the venue acknowledges the order', async () => {
    const r = await rig();
    r.server.postModes.push({ kind: 'hold' });
    r.broker.execute(intent({ orderId: 'c-held', tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 }), context(plain, null, T0), T0);
    await until(() => r.server.orders.size === 1, 'posted, unanswered');
    r.broker.cancel([cancelOf('c-held')]);
    await wall.sleep(20);
    expect(deletes(r)).toHaveLength(0);
    r.server.release();
    await until(() => statuses(r).some((s) => s.startsWith('cancelled:')), 'cancelled after the answer');
    await r.broker.settled();
    expect(statuses(r)).toEqual(['submitted:GTC', 'accepted:live', 'cancel_submitted:order_timeout', 'cancelled:canceled']);
    expect(deletes(r)).toHaveLength(1);
  });

  it('after a restart, a cancel in the log whose order is still open is sent again', async () => {
    const first = await rig();
    const hash = await resting(first, 'c-rs');
    first.server.cancelModes.push('lose');
    first.broker.cancel([cancelOf('c-rs')]);
    await until(() => deletes(first).length === 1, 'the DELETE, never answered');
    // The process dies here. The log holds the intent, its updates and the cancel.
    const log: AnyEvent[] = [intent({ orderId: 'c-rs', tokenId: '1001', side: 'BUY', price: '0.43', size: '12', orderType: 'limit', ts: T0 }), ...first.events, cancelOf('c-rs')];
    const second = await rig(first.server, new SimulatedClock(T0 + 60_000));
    second.broker.recover(log);
    await second.broker.resume(() => context(plain, null, T0 + 60_000));
    await until(() => statuses(second).some((s) => s.startsWith('cancelled:')), 'cancelled after the restart');
    await second.broker.settled();
    expect(statuses(second)).toEqual(['cancel_submitted:order_timeout', 'cancelled:canceled']);
    expect(first.server.cancellations).toEqual([hash]);
    expect(deletes(second)).toHaveLength(2);
  });
});
