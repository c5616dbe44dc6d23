import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { gammaResolutions } from '../actors/execution/live/gammaResolutions';
import { Redeemer } from '../actors/execution/live/redeemer';
import { Portfolio } from '../actors/execution/portfolio';
import { MarketState } from '../domain/market/marketState';
import { redemptionContracts } from '../actors/venues/polygon/contracts';
import { JsonRpcClient } from '../actors/venues/polygon/jsonRpc';
import { SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type MarketInfo, type RedemptionEvent } from '../events/types';
import { marketInfo } from './support/execution';
import { JsonRpcChain } from './support/jsonRpcChain';

const T0 = 1_760_000_000_000;
const CONDITION = `0x${'c3'.repeat(32)}`;
const intent = makeEvent('redemption_intent', T0, { intentId: `redeem:${CONDITION}`, conditionId: CONDITION, marketId: 'm3', route: 'ctf', tokenIds: ['31', '32'], winningTokenId: '31', shares: '4' });

let chain: JsonRpcChain;
beforeEach(async () => {
  chain = await JsonRpcChain.start(137);
  chain.conditions.set(CONDITION, { tokenIds: ['31', '32'], winner: 0 });
});
afterEach(() => chain.close());

/** A redeemer against the loopback chain whose outcomes go to `log` (and its problems to `problems`). */
function redeemer(privateKey: `0x${string}`, log: AnyEvent[], problems: string[], refuse?: string, contracts = redemptionContracts(137)): Redeemer {
  const clock = new SystemClock();
  return new Redeemer({ rpc: new JsonRpcClient(chain.url, clock, 2_000), chainId: 137, privateKey, contracts, clock, append: async (e) => void log.push(e), receiptPollMs: 10, receiptAttempts: 3, refuse, onProblem: (p) => void problems.push(p) });
}

const statuses = (log: AnyEvent[]) => log.filter((e): e is RedemptionEvent => e.type === 'redemption').map((e) => [e.status, e.payout]);

/** A wallet holding 4 winning shares whose redemption was logged `submitted` and lost on its way to the node. */
async function lostBroadcast(): Promise<{ key: `0x${string}`; log: AnyEvent[]; problems: string[] }> {
  const key = generatePrivateKey();
  chain.hold(privateKeyToAccount(key).address, '31', 4_000_000n);
  chain.approve(privateKeyToAccount(key).address, chain.contracts.ctfAdapter);
  chain.dropNextSend = true;
  const log: AnyEvent[] = [intent];
  const problems: string[] = [];
  const first = redeemer(key, log, problems);
  first.redeem(intent);
  await first.settled();
  return { key, log, problems };
}

it('a broadcast lost on the way: left submitted; after a restart the same signed bytes are sent again and mined once', async () => {
  const { key, log, problems } = await lostBroadcast();
  expect(statuses(log)).toEqual([['submitted', '0']]);
  expect(chain.redemptions).toEqual([]);
  expect(problems).toEqual([expect.stringContaining('no receipt for')]);
  const submitted = log[1] as RedemptionEvent;

  const restarted = redeemer(key, log, problems);
  restarted.recover(log);
  await restarted.resume();
  expect(statuses(log)).toEqual([['submitted', '0'], ['confirmed', '4']]);
  expect(chain.redemptions.map((t) => t.hash)).toEqual([submitted.txHash]);
  // Settled: a third start sends nothing.
  const third = redeemer(key, log, problems);
  third.recover(log);
  await third.resume();
  expect([chain.redeemSends, log.length]).toEqual([1, 3]); // the lost broadcast never reached the node
});

it('a lost broadcast whose nonce another transaction took meanwhile: after a restart it ends failed (it can never be mined), nothing sent twice', async () => {
  const { key, log, problems } = await lostBroadcast();
  // Another process with the same key (not knowing this log) uses nonce 0, at another gas price (so another transaction).
  chain.gasPriceWei = 31_000_000_000n;
  const elsewhere = redeemer(key, [], problems);
  elsewhere.redeem(intent);
  await elsewhere.settled();
  expect(chain.redemptions.length).toBe(1);
  const restarted = redeemer(key, log, problems);
  restarted.recover(log);
  await restarted.resume();
  expect(statuses(log)).toEqual([['submitted', '0'], ['failed', '0']]);
  expect((log[2] as RedemptionEvent).detail).toBe('never mined: another transaction took its nonce (pma redeem sends it anew)');
  expect(chain.redemptions.length).toBe(1);
});

it('nothing held: nothing_held, nothing sent; a node refusal and a receipt that paid nothing end failed, the payout never booked', async () => {
  const key = generatePrivateKey();
  const wallet = privateKeyToAccount(key).address;
  const log: AnyEvent[] = [];
  const problems: string[] = [];
  await redeemer(key, log, problems).resume();
  const r = redeemer(key, log, problems);
  r.redeem(intent);
  await r.settled();
  expect(statuses(log)).toEqual([['nothing_held', '0']]);
  expect(chain.redeemSends).toBe(0);

  chain.hold(wallet, '31', 4_000_000n);
  chain.conditions.delete(CONDITION);
  const refused: AnyEvent[] = [];
  const r2 = redeemer(key, refused, problems);
  r2.redeem(intent);
  await r2.settled();
  expect(statuses(refused)).toEqual([['submitted', '0'], ['failed', '0']]);
  expect((refused[1] as RedemptionEvent).detail).toMatch(/^refused by the node: eth_sendRawTransaction: execution reverted: condition 0x(c3){32} not resolved$/);

  // A negRisk condition redeemed by the standard adapter: its positions are keyed to another collateral; mined, nothing paid.
  chain.conditions.set(CONDITION, { tokenIds: ['31', '32'], winner: 0, negRisk: true });
  const unpaid: AnyEvent[] = [];
  const r3 = redeemer(key, unpaid, problems);
  r3.redeem(intent);
  await r3.settled();
  expect(statuses(unpaid)).toEqual([['submitted', '0'], ['failed', '0']]);
  expect((unpaid[1] as RedemptionEvent).detail).toMatch(/but paid nothing; the wallet still holds 4 winning shares/);
  expect(problems).toEqual([]);
});

it('a proxy or safe wallet: each intent ends failed with the reason, nothing is asked of the chain', async () => {
  const log: AnyEvent[] = [];
  const r = redeemer(generatePrivateKey(), log, [], 'live.signatureType 1: the shares are held by the proxy wallet');
  r.redeem(intent);
  await r.settled();
  expect(statuses(log)).toEqual([['failed', '0']]);
  expect(chain.methods).toEqual([]);
});

describe("Gamma's closed state as a resolution (live)", () => {
  const open = marketInfo({ id: 'm3', conditionId: CONDITION, tokenIds: ['31', '32'], outcomes: ['Up', 'Down'] });
  const closed = (prices: string[]) => ({ ...open, closed: true, outcomePrices: prices });
  const snapshot = (m: MarketInfo, ts: number) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/events/slug', markets: [m] });

  it('a held market closed with a decided outcome resolves once; undecided, not held, or already resolved: nothing', () => {
    const markets = new MarketState();
    const portfolio = new Portfolio('1000');
    markets.apply(snapshot(open, T0));
    expect(gammaResolutions(snapshot(closed(['1', '0']), T0 + 1), markets, portfolio)).toEqual([]);
    portfolio.apply(makeEvent('exchange_fill', T0 + 1, { orderId: 'x:1', tokenId: '32', side: 'BUY', price: '0.5', size: '4', fee: '0', tradeId: 't' }));
    expect(gammaResolutions(snapshot(closed(['0.9995', '0.0005']), T0 + 2), markets, portfolio)).toEqual([]);
    expect(gammaResolutions(snapshot({ ...open, outcomePrices: ['0', '1'] }, T0 + 2), markets, portfolio)).toEqual([]);
    const resolved = gammaResolutions(snapshot(closed(['0', '1']), T0 + 3), markets, portfolio);
    expect(resolved).toEqual([makeEvent('market_resolved', T0 + 3, { market: CONDITION, winningTokenId: '32', winningOutcome: 'Down' })]);
    markets.apply(resolved[0]);
    expect(gammaResolutions(snapshot(closed(['0', '1']), T0 + 4), markets, portfolio)).toEqual([]);
  });
});
