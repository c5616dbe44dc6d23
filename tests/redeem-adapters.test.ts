import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { Redeemer } from '../actors/execution/live/redeemer';
import { redeemCall, redemptionContracts, type RedemptionContracts } from '../actors/venues/polygon/contracts';
import { JsonRpcClient } from '../actors/venues/polygon/jsonRpc';
import { SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type RedemptionEvent, type RedemptionIntentEvent } from '../events/types';
import { JsonRpcChain } from './support/jsonRpcChain';

// Redemption through Polymarket's pUSD collateral adapters (docs/live-orders.md, "Redemption"), against the loopback chain.
const T0 = 1_760_000_000_000;
const BINARY = `0x${'b1'.repeat(32)}` as const;
const BINARY_2 = `0x${'b2'.repeat(32)}`;
const NEG_RISK = `0x${'a7'.repeat(32)}`;
const ZERO = `0x${'0'.repeat(64)}`;

function intentOf(conditionId: string, route: RedemptionIntentEvent['route'], tokenIds: string[], winningTokenId: string, shares: string): RedemptionIntentEvent {
  return makeEvent('redemption_intent', T0, { intentId: `redeem:${conditionId}`, conditionId, marketId: conditionId.slice(0, 6), route, tokenIds, winningTokenId, shares });
}

let chain: JsonRpcChain;
let key: `0x${string}`;
let wallet: string;
let log: AnyEvent[];
let problems: string[];
let approvals: string[];
beforeEach(async () => {
  chain = await JsonRpcChain.start(137);
  chain.conditions.set(BINARY, { tokenIds: ['41', '42'], winner: 1 });
  chain.conditions.set(BINARY_2, { tokenIds: ['51', '52'], winner: 0 });
  chain.conditions.set(NEG_RISK, { tokenIds: ['61', '62'], winner: 0, negRisk: true });
  key = generatePrivateKey();
  wallet = privateKeyToAccount(key).address;
  [log, problems, approvals] = [[], [], []];
});
afterEach(() => chain.close());

function redeemer(contracts: RedemptionContracts = redemptionContracts(137)): Redeemer {
  const clock = new SystemClock();
  return new Redeemer({ rpc: new JsonRpcClient(chain.url, clock, 2_000), chainId: 137, privateKey: key, contracts, clock, append: async (e) => void log.push(e), receiptPollMs: 10, receiptAttempts: 3, onProblem: (p) => void problems.push(p), onApproval: (adapter, hash) => void approvals.push(`${adapter} ${hash}`) });
}

const outcomes = () => log.filter((e): e is RedemptionEvent => e.type === 'redemption').map((e) => [e.conditionId, e.status, e.payout]);
const approvalTxs = () => [...chain.txs.values()].filter((t) => t.function === 'setApprovalForAll').map((t) => [t.to.toLowerCase(), t.args]);

it('the project names the adapters the chain knows: CtfCollateralAdapter and NegRiskCtfCollateralAdapter on Polygon, pUSD collateral', () => {
  const c = redemptionContracts(137);
  expect([c.ctfAdapter, c.negRiskAdapter, c.collateral, c.conditionalTokens]).toEqual([chain.contracts.ctfAdapter, chain.contracts.negRiskAdapter, chain.contracts.collateral, chain.contracts.conditionalTokens]);
  expect(c.collateral).toBe('0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB');
  expect(() => redemptionContracts(80002)).toThrow('no pUSD collateral adapter addresses known for chain 80002');
});

it('binary: approves the CtfCollateralAdapter once, redeems through it with (pUSD, 0, condition, [1, 2]) and books the pUSD it paid; a second condition needs no second approval', async () => {
  chain.hold(wallet, '41', 1_500_000n);
  chain.hold(wallet, '42', 6_250_000n);
  chain.hold(wallet, '51', 2_000_000n);
  const r = redeemer();
  r.redeem(intentOf(BINARY, 'ctf', ['41', '42'], '42', '6.25'));
  r.redeem(intentOf(BINARY_2, 'ctf', ['51', '52'], '51', '2'));
  await r.settled();
  expect(problems).toEqual([]);
  expect(outcomes()).toEqual([[BINARY, 'submitted', '0'], [BINARY, 'confirmed', '6.25'], [BINARY_2, 'submitted', '0'], [BINARY_2, 'confirmed', '2']]);
  expect(approvalTxs()).toEqual([[chain.contracts.conditionalTokens.toLowerCase(), [chain.contracts.ctfAdapter, true]]]);
  expect(approvals).toEqual([`${chain.contracts.ctfAdapter} ${[...chain.txs.values()][0].hash}`]);
  expect((log[0] as RedemptionEvent).detail).toBe(`ctf redeemPositions through adapter ${chain.contracts.ctfAdapter} (approved in tx ${[...chain.txs.values()][0].hash}), nonce 1, 6.25 winning shares held`);
  expect((log[2] as RedemptionEvent).detail).toBe(`ctf redeemPositions through adapter ${chain.contracts.ctfAdapter}, nonce 2, 2 winning shares held`);
  expect(chain.redemptions.map((t) => [t.to.toLowerCase(), t.args])).toEqual([
    [chain.contracts.ctfAdapter.toLowerCase(), [chain.contracts.collateral, ZERO, BINARY, [1n, 2n]]],
    [chain.contracts.ctfAdapter.toLowerCase(), [chain.contracts.collateral, ZERO, BINARY_2, [1n, 2n]]],
  ]);
  expect([chain.adapterRedeems.get(chain.contracts.ctfAdapter.toLowerCase()), chain.adapterRedeems.get(chain.contracts.negRiskAdapter.toLowerCase())]).toEqual([2, undefined]);
  expect([chain.balance(wallet, '41'), chain.balance(wallet, '42'), chain.balance(wallet, '51'), chain.paid.get(wallet.toLowerCase())]).toEqual([0n, 0n, 0n, 8_250_000n]);
});

it('negRisk: redeems through the NegRiskCtfCollateralAdapter (its own approval), index sets [1, 2]; the losing side is burnt', async () => {
  chain.approve(wallet, chain.contracts.ctfAdapter); // the standard adapter's approval does not cover the negRisk one
  chain.hold(wallet, '61', 3_000_000n);
  chain.hold(wallet, '62', 7_000_000n);
  const r = redeemer();
  r.redeem(intentOf(NEG_RISK, 'neg_risk_adapter', ['61', '62'], '61', '3'));
  await r.settled();
  expect(problems).toEqual([]);
  expect(outcomes()).toEqual([[NEG_RISK, 'submitted', '0'], [NEG_RISK, 'confirmed', '3']]);
  expect(approvalTxs()).toEqual([[chain.contracts.conditionalTokens.toLowerCase(), [chain.contracts.negRiskAdapter, true]]]);
  expect(chain.redemptions.map((t) => [t.to.toLowerCase(), t.args])).toEqual([[chain.contracts.negRiskAdapter.toLowerCase(), [chain.contracts.collateral, ZERO, NEG_RISK, [1n, 2n]]]]);
  expect([chain.balance(wallet, '61'), chain.balance(wallet, '62'), chain.paid.get(wallet.toLowerCase())]).toEqual([0n, 0n, 3_000_000n]);
});

it('a regression to ConditionalTokens.redeemPositions with pUSD (the pre-adapter call): mined, pays and burns nothing, logged failed, the shares stay', async () => {
  chain.hold(wallet, '42', 5_000_000n);
  const direct = { ...redemptionContracts(137), ctfAdapter: chain.contracts.conditionalTokens };
  const r = redeemer(direct);
  r.redeem(intentOf(BINARY, 'ctf', ['41', '42'], '42', '5'));
  await r.settled();
  expect(outcomes()).toEqual([[BINARY, 'submitted', '0'], [BINARY, 'failed', '0']]);
  expect((log[1] as RedemptionEvent).detail).toMatch(/^mined in block \d+ but paid nothing; the wallet still holds 5 winning shares/);
  expect(chain.redemptions.map((t) => t.to.toLowerCase())).toEqual([chain.contracts.conditionalTokens.toLowerCase()]);
  expect([chain.balance(wallet, '42'), chain.paid.get(wallet.toLowerCase()) ?? 0n, chain.adapterRedeems.size]).toEqual([5_000_000n, 0n, 0]);
});

it('without the approval the adapter refuses the redemption (it cannot pull the tokens); nothing burnt, nothing paid', async () => {
  chain.hold(wallet, '42', 5_000_000n);
  const rpc = new JsonRpcClient(chain.url, new SystemClock(), 2_000);
  const call = redeemCall(redemptionContracts(137), 'ctf', BINARY);
  const raw = await privateKeyToAccount(key).signTransaction({ type: 'legacy', chainId: 137, nonce: 0, gasPrice: 30_000_000_000n, gas: 200_000n, to: call.to, data: call.data, value: 0n });
  await expect(rpc.sendRawTransaction(raw)).rejects.toThrow('execution reverted: ERC1155: need operator approval for 3rd party transfers.');
  expect([chain.balance(wallet, '42'), chain.paid.get(wallet.toLowerCase()) ?? 0n, chain.redemptions.length]).toEqual([5_000_000n, 0n, 0]);
});

it('an approval without a receipt: nothing redeemed and the intent stays open; the next start reads the approval mined and does not send it again', async () => {
  chain.hold(wallet, '42', 5_000_000n);
  chain.holdReceipts = true;
  const intent = intentOf(BINARY, 'ctf', ['41', '42'], '42', '5');
  log.push(intent);
  const first = redeemer();
  first.redeem(intent);
  await first.settled();
  expect(outcomes()).toEqual([]);
  expect(problems).toEqual([expect.stringMatching(/^redemption redeem:0x(b1){32}: the approval of adapter 0xAdA100Db00Ca00073811820692005400218FcE1f \(tx 0x[0-9a-f]{64}\) has no receipt after 3 lookups: nothing redeemed; left for the next start or pma redeem$/)]);
  expect([approvalTxs().length, chain.redeemSends]).toEqual([1, 0]);

  chain.holdReceipts = false;
  const restarted = redeemer();
  restarted.recover(log);
  await restarted.resume();
  expect(outcomes()).toEqual([[BINARY, 'submitted', '0'], [BINARY, 'confirmed', '5']]);
  expect([approvalTxs().length, chain.redeemSends, approvals.length]).toEqual([1, 1, 1]);
});
