import { keccak256, type Hex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { SystemClock } from '../../../events/clock';
import { makeEvent, type AnyEvent, type RedemptionEvent, type RedemptionIntentEvent } from '../../../events/types';
import { adapterOf, approvalCall, balanceOfCall, hasCollateralAdapters, isApprovedForAllCall, payoutOf, redeemCall, redemptionContracts, unitsToDecimal, type RedemptionContracts } from '../../venues/polygon/contracts';
import { JsonRpcClient, JsonRpcError, type TransactionReceipt } from '../../venues/polygon/jsonRpc';

export interface RedeemerOptions {
  rpc: JsonRpcClient;
  chainId: number;
  privateKey: Hex;
  contracts: RedemptionContracts;
  clock: SystemClock;
  /** Logs a `redemption` input event; resolves once it is in the log. */
  append: (event: RedemptionEvent) => Promise<void>;
  /** Receipt lookups after sending, this far apart; still none after the last: left `submitted` for the next start. */
  receiptPollMs: number;
  receiptAttempts: number;
  /** Why nothing could be sent (set: every intent ends `failed` with it), e.g. a proxy wallet. */
  refuse?: string;
  onProblem: (problem: string) => void;
  /** Told of each redemption transaction as it is broadcast (the service logs it). */
  onSent?: (intentId: string, txHash: Hex) => void;
  /** Told of an adapter approval (`setApprovalForAll`) as it is broadcast. */
  onApproval?: (adapter: Hex, txHash: Hex) => void;
}

const FINAL: ReadonlySet<RedemptionEvent['status']> = new Set(['confirmed', 'nothing_held', 'failed']);

/**
 * Sends each `redemption_intent` once and logs what the chain says (docs/live-orders.md, "Redemption").
 * The signed transaction is logged (`submitted`) before it is broadcast; after a crash, `recover` reads
 * the log and `resume` settles every intent without an outcome before anything new is sent: a
 * `submitted` one by its receipt (or by broadcasting the same bytes again, which its nonce lets mine at
 * most once), one never submitted by sending it now. One transaction at a time, so nonces never race.
 */
export class Redeemer {
  private readonly account: PrivateKeyAccount;
  private readonly intents = new Map<string, RedemptionIntentEvent>();
  private readonly last = new Map<string, RedemptionEvent>();
  private readonly queued = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: RedeemerOptions) {
    this.account = privateKeyToAccount(o.privateKey);
  }

  get address(): Hex {
    return this.account.address;
  }

  /** Learns from the log which intents exist and what became of each. */
  recover(events: Iterable<AnyEvent>): void {
    for (const e of events) {
      if (e.type === 'redemption_intent') this.intents.set(e.intentId, e);
      if (e.type === 'redemption') this.last.set(e.intentId, e);
    }
  }

  /** Intents the log holds without a final outcome (never sent, or sent and not yet confirmed). */
  unsettled(retryFailed = false): RedemptionIntentEvent[] {
    return [...this.intents.values()].filter((i) => {
      const status = this.last.get(i.intentId)?.status;
      return status === undefined || status === 'submitted' || (retryFailed && status === 'failed');
    });
  }

  /** Settles what the log left open (after `recover`); resolves when done. */
  resume(retryFailed = false): Promise<void> {
    for (const intent of this.unsettled(retryFailed)) this.enqueue(intent, retryFailed);
    return this.settled();
  }

  /** A new intent (the service's reactor): sent once, after the ones before it. */
  redeem(intent: RedemptionIntentEvent): void {
    this.intents.set(intent.intentId, intent);
    this.enqueue(intent, false);
  }

  settled(): Promise<void> {
    return this.chain;
  }

  outcome(intentId: string): RedemptionEvent | undefined {
    return this.last.get(intentId);
  }

  private enqueue(intent: RedemptionIntentEvent, retryFailed: boolean): void {
    if (this.queued.has(intent.intentId)) return;
    this.queued.add(intent.intentId);
    this.chain = this.chain
      .then(() => this.settle(intent, retryFailed))
      .catch((err) => this.o.onProblem(`redemption ${intent.intentId}: ${err instanceof Error ? err.message : String(err)}; left for the next start or pma redeem`))
      .finally(() => this.queued.delete(intent.intentId));
  }

  private async settle(intent: RedemptionIntentEvent, retryFailed: boolean): Promise<void> {
    const last = this.last.get(intent.intentId);
    if (last && FINAL.has(last.status) && !(retryFailed && last.status === 'failed')) return;
    if (last?.status === 'submitted') return this.reconcile(intent, last);
    if (this.o.refuse) return this.record(intent, 'failed', null, null, '0', this.o.refuse);
    const chainId = await this.o.rpc.chainId();
    if (chainId !== this.o.chainId) throw new Error(`the RPC serves chain ${chainId}, live.chainId is ${this.o.chainId}: nothing sent`);
    const winning = await this.balance(intent.winningTokenId);
    if (winning === 0n) return this.record(intent, 'nothing_held', null, null, '0', `the wallet ${this.address} holds none of token ${intent.winningTokenId}: nothing to redeem (redeemed elsewhere?)`);
    const approved = await this.ensureApproved(adapterOf(this.o.contracts, intent.route));
    const { raw, hash, nonce } = await this.sign(redeemCall(this.o.contracts, intent.route, intent.conditionId as Hex));
    await this.record(intent, 'submitted', hash, raw, '0', `${intent.route} redeemPositions through adapter ${adapterOf(this.o.contracts, intent.route)}${approved}, nonce ${nonce}, ${unitsToDecimal(winning)} winning shares held`);
    try {
      await this.o.rpc.sendRawTransaction(raw);
    } catch (err) {
      // A node's refusal is final (nothing was broadcast); a lost answer leaves the transaction uncertain: its receipt tells.
      if (err instanceof JsonRpcError && err.code !== null && !/already known/i.test(err.message)) return this.record(intent, 'failed', hash, null, '0', `refused by the node: ${err.message}`);
    }
    this.o.onSent?.(intent.intentId, hash);
    return this.awaitReceipt(intent, hash);
  }

  /** Signs a legacy (EIP-155) transaction of `call` at the wallet's next nonce, gas estimated + 20 %. */
  private async sign(call: { to: Hex; data: Hex }): Promise<{ raw: Hex; hash: Hex; nonce: number }> {
    const [nonce, gasPrice, gas] = await Promise.all([this.o.rpc.nonce(this.address), this.o.rpc.gasPrice(), this.o.rpc.estimateGas({ from: this.address, ...call })]);
    const raw = await this.account.signTransaction({ type: 'legacy', chainId: this.o.chainId, nonce, gasPrice, gas: (gas * 12n) / 10n, to: call.to, data: call.data, value: 0n });
    return { raw, hash: keccak256(raw), nonce };
  }

  /**
   * The adapter pulls the outcome tokens, so the wallet must have approved it on ConditionalTokens
   * (`setApprovalForAll`). Read from the chain each time: an approval mined before a crash is never sent
   * again; one still pending at a crash may be sent once more (harmless: it only sets the same flag).
   * Throws (the intent stays open, nothing redeemed) when the approval reverts, does not take, or gets no receipt.
   * Returns the words the `submitted` detail carries ('' when the approval was already there).
   */
  private async ensureApproved(adapter: Hex): Promise<string> {
    if (await this.approved(adapter)) return '';
    const { raw, hash } = await this.sign(approvalCall(this.o.contracts, adapter));
    await this.o.rpc.sendRawTransaction(raw);
    this.o.onApproval?.(adapter, hash);
    for (let i = 0; i < this.o.receiptAttempts; i++) {
      const receipt = await this.o.rpc.receipt(hash).catch(() => null);
      if (receipt && receipt.status !== '0x1') throw new Error(`the approval of adapter ${adapter} (tx ${hash}) reverted in block ${Number(receipt.blockNumber)}: nothing redeemed`);
      if (receipt) {
        if (await this.approved(adapter)) return ` (approved in tx ${hash})`;
        throw new Error(`the approval of adapter ${adapter} (tx ${hash}) mined in block ${Number(receipt.blockNumber)} but isApprovedForAll still reads false: nothing redeemed`);
      }
      await this.o.clock.sleep(this.o.receiptPollMs);
    }
    throw new Error(`the approval of adapter ${adapter} (tx ${hash}) has no receipt after ${this.o.receiptAttempts} lookups: nothing redeemed`);
  }

  private async approved(adapter: Hex): Promise<boolean> {
    const answer = await this.o.rpc.ethCall(this.o.contracts.conditionalTokens, isApprovedForAllCall(this.address, adapter));
    return answer !== '0x' && BigInt(answer) === 1n;
  }

  /** An intent the log shows `submitted` without an outcome: its receipt, or the same signed bytes broadcast again. */
  private async reconcile(intent: RedemptionIntentEvent, submitted: RedemptionEvent): Promise<void> {
    const hash = submitted.txHash as Hex;
    const receipt = await this.o.rpc.receipt(hash);
    if (receipt) return this.finish(intent, hash, receipt);
    let nonceTaken = false;
    if (submitted.rawTx) {
      try {
        await this.o.rpc.sendRawTransaction(submitted.rawTx as Hex);
      } catch (err) {
        // "already known": it is pending. "nonce too low": another transaction took the nonce, unless it was this one (receipt below).
        nonceTaken = err instanceof JsonRpcError && /nonce too low/i.test(err.message);
        if (!nonceTaken && !(err instanceof JsonRpcError && /already known/i.test(err.message))) this.o.onProblem(`redemption ${intent.intentId}: rebroadcast of ${hash}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return this.awaitReceipt(intent, hash, nonceTaken);
  }

  /** Polls for the receipt; none: left `submitted`, or `failed` when another transaction took its nonce (it can never be mined). */
  private async awaitReceipt(intent: RedemptionIntentEvent, hash: Hex, nonceTaken = false): Promise<void> {
    for (let i = 0; i < this.o.receiptAttempts; i++) {
      const receipt = await this.o.rpc.receipt(hash).catch(() => null);
      if (receipt) return this.finish(intent, hash, receipt);
      await this.o.clock.sleep(this.o.receiptPollMs);
    }
    if (nonceTaken) return this.record(intent, 'failed', hash, null, '0', `never mined: another transaction took its nonce (pma redeem sends it anew)`);
    this.o.onProblem(`redemption ${intent.intentId}: no receipt for ${hash} after ${this.o.receiptAttempts} lookups; looked up again at the next start or by pma redeem`);
  }

  private async finish(intent: RedemptionIntentEvent, hash: Hex, receipt: TransactionReceipt): Promise<void> {
    if (receipt.status !== '0x1') return this.record(intent, 'failed', hash, null, '0', `reverted in block ${Number(receipt.blockNumber)}`);
    const paid = payoutOf(receipt.logs, this.o.contracts.collateral, this.address) ?? 0n;
    if (paid === 0n) {
      const left = await this.balance(intent.winningTokenId);
      if (left > 0n) return this.record(intent, 'failed', hash, null, '0', `mined in block ${Number(receipt.blockNumber)} but paid nothing; the wallet still holds ${unitsToDecimal(left)} winning shares (collateral, adapter or approval not the ones the shares need?)`);
    }
    return this.record(intent, 'confirmed', hash, null, unitsToDecimal(paid), `mined in block ${Number(receipt.blockNumber)}`);
  }

  private async balance(tokenId: string): Promise<bigint> {
    const answer = await this.o.rpc.ethCall(this.o.contracts.conditionalTokens, balanceOfCall(this.address, tokenId));
    return BigInt(answer === '0x' ? 0 : answer);
  }

  private async record(intent: RedemptionIntentEvent, status: RedemptionEvent['status'], txHash: Hex | null, rawTx: Hex | null, payout: string, detail: string): Promise<void> {
    const event = makeEvent('redemption', this.o.clock.now(), { intentId: intent.intentId, conditionId: intent.conditionId, tokenId: intent.winningTokenId, status, txHash, rawTx, payout, detail });
    this.last.set(intent.intentId, event);
    await this.o.append(event);
  }
}

/**
 * The redeemer of a live service (`pma start --live`) or of `pma redeem`: null without `live.rpcUrl`
 * (the intents then wait in the log). Signs with the order-signing key; a proxy or safe wallet
 * (`live.signatureType` 1 or 2) holds the shares itself, which this does not drive: each intent then
 * ends `failed` with the reason, the payout stays due, and the shares are redeemed on polymarket.com.
 */
export function redeemerFromConfig(
  live: { chainId: number; signatureType: number; rpcUrl: string; rpcTimeoutMs: number; receiptPollMs: number; receiptAttempts: number },
  privateKey: Hex,
  deps: Pick<RedeemerOptions, 'clock' | 'append' | 'onProblem' | 'onSent' | 'onApproval'>,
): Redeemer | null {
  if (live.rpcUrl === '') return null;
  const refuse =
    live.signatureType !== 0
      ? `live.signatureType ${live.signatureType}: the shares are held by the ${live.signatureType === 1 ? 'proxy' : 'safe'} wallet, which redemption does not drive; nothing sent (redeem on polymarket.com)`
      : !hasCollateralAdapters(live.chainId)
        ? `live.chainId ${live.chainId}: no pUSD collateral adapter addresses known for this chain; nothing sent (redeem on polymarket.com)`
        : undefined;
  return new Redeemer({
    rpc: new JsonRpcClient(live.rpcUrl, deps.clock, live.rpcTimeoutMs),
    chainId: live.chainId,
    privateKey,
    // Without adapters for the chain every intent is refused above; the addresses are then never used.
    contracts: redemptionContracts(hasCollateralAdapters(live.chainId) ? live.chainId : 137),
    receiptPollMs: live.receiptPollMs,
    receiptAttempts: live.receiptAttempts,
    refuse,
    ...deps,
  });
}
