import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getContractConfig } from '@polymarket/clob-client-v2';
import { decodeFunctionData, encodeAbiParameters, encodeEventTopics, keccak256, parseAbi, parseTransaction, recoverTransactionAddress, toHex, type Hex } from 'viem';

// The contracts' ABI as this server knows it, written apart from the project's (a wrong selector there is caught here).
const CTF = parseAbi([
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
  'function balanceOf(address owner, uint256 id) view returns (uint256)',
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
]);
const ADAPTER = parseAbi(['function redeemPositions(bytes32 conditionId, uint256[] amounts)', 'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)']);

export interface ChainTx {
  hash: Hex;
  from: Hex;
  nonce: number;
  to: Hex;
  function: string;
  args: readonly unknown[];
  receipt: { transactionHash: Hex; status: Hex; blockNumber: Hex; logs: { address: Hex; topics: Hex[]; data: Hex }[] };
}

/**
 * A loopback Polygon node (127.0.0.1, port 0) speaking the Ethereum JSON-RPC a redemption uses:
 * eth_chainId, eth_getTransactionCount, eth_gasPrice, eth_estimateGas, eth_call (ConditionalTokens
 * balanceOf), eth_sendRawTransaction (decodes and verifies the signed transaction, executes
 * redeemPositions on the CTF or the NegRiskAdapter against its balances: burns the condition's tokens,
 * pays the winner 1 a share) and eth_getTransactionReceipt (held back while `holdReceipts`).
 */
export class JsonRpcChain {
  readonly contracts: { conditionalTokens: Hex; negRiskAdapter: Hex; collateral: Hex };
  /** ERC1155 balances in 6-decimal units, by `owner(lower case):tokenId`. */
  readonly balances = new Map<string, bigint>();
  /** Resolved conditions: their tokens in outcome order and the winner's index. */
  readonly conditions = new Map<string, { tokenIds: string[]; winner: number }>();
  /** Collateral paid out, by owner (lower case). */
  readonly paid = new Map<string, bigint>();
  readonly txs = new Map<Hex, ChainTx>();
  /** Every eth_sendRawTransaction whose calldata is redeemPositions, duplicates included. */
  redeemSends = 0;
  holdReceipts = false;
  gasPriceWei = 30_000_000_000n;
  /** The next eth_sendRawTransaction is lost: the connection drops before the node sees it. */
  dropNextSend = false;
  /** Redemptions succeed and pay nothing, burning nothing (positions keyed to another collateral than the one named). */
  payNothing = false;
  readonly methods: string[] = [];
  private readonly nonces = new Map<string, number>();
  private block = 1000;

  private constructor(
    private readonly server: Server,
    readonly chainId: number,
  ) {
    const c = getContractConfig(chainId);
    this.contracts = { conditionalTokens: c.conditionalTokens as Hex, negRiskAdapter: c.negRiskAdapter as Hex, collateral: c.collateral as Hex };
  }

  static async start(chainId = 137): Promise<JsonRpcChain> {
    let chain: JsonRpcChain | null = null;
    const server = createServer((req, res) => void chain!.handle(req, res));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    chain = new JsonRpcChain(server, chainId);
    return chain;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Transactions that executed a redeemPositions (each one mined once). */
  get redemptions(): ChainTx[] {
    return [...this.txs.values()].filter((t) => t.function === 'redeemPositions');
  }

  hold(owner: string, tokenId: string, units: bigint): void {
    this.balances.set(`${owner.toLowerCase()}:${tokenId}`, units);
  }

  balance(owner: string, tokenId: string): bigint {
    return this.balances.get(`${owner.toLowerCase()}:${tokenId}`) ?? 0n;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as { id: number; method: string; params: unknown[] };
    this.methods.push(body.method);
    if (body.method === 'eth_sendRawTransaction' && this.dropNextSend) {
      this.dropNextSend = false;
      req.socket.destroy();
      return;
    }
    let answer: { result: unknown } | { error: { code: number; message: string } };
    try {
      answer = { result: await this.answer(body.method, body.params) };
    } catch (err) {
      answer = { error: { code: -32000, message: err instanceof Error ? err.message : String(err) } };
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, ...answer }));
  }

  private async answer(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case 'eth_chainId':
        return toHex(this.chainId);
      case 'eth_getTransactionCount':
        return toHex(this.nonces.get(String(params[0]).toLowerCase()) ?? 0);
      case 'eth_gasPrice':
        return toHex(this.gasPriceWei);
      case 'eth_estimateGas':
        return toHex(150_000);
      case 'eth_call': {
        const { to, data } = params[0] as { to: Hex; data: Hex };
        if (to.toLowerCase() !== this.contracts.conditionalTokens.toLowerCase()) throw new Error(`eth_call to unknown contract ${to}`);
        const call = decodeFunctionData({ abi: CTF, data });
        if (call.functionName !== 'balanceOf') throw new Error(`eth_call ${call.functionName} not served`);
        const [owner, id] = call.args as [Hex, bigint];
        return encodeAbiParameters([{ type: 'uint256' }], [this.balance(owner, id.toString())]);
      }
      case 'eth_sendRawTransaction':
        return this.execute(params[0] as Hex);
      case 'eth_getTransactionReceipt':
        return this.holdReceipts ? null : (this.txs.get(params[0] as Hex)?.receipt ?? null);
      default:
        throw new Error(`method ${method} not served`);
    }
  }

  private async execute(raw: Hex): Promise<Hex> {
    const hash = keccak256(raw);
    const tx = parseTransaction(raw);
    const isRedeem = tx.data !== undefined && [CTF, ADAPTER].some((abi) => {
      try {
        return decodeFunctionData({ abi, data: tx.data! }).functionName === 'redeemPositions';
      } catch {
        return false;
      }
    });
    if (isRedeem) this.redeemSends++;
    if (this.txs.has(hash)) throw new Error('already known');
    if (tx.chainId !== this.chainId) throw new Error(`invalid chain id ${tx.chainId}`);
    const from = (await recoverTransactionAddress({ serializedTransaction: raw as Parameters<typeof recoverTransactionAddress>[0]['serializedTransaction'] })).toLowerCase() as Hex;
    const expected = this.nonces.get(from) ?? 0;
    if (tx.nonce !== expected) throw new Error(tx.nonce! < expected ? 'nonce too low' : 'nonce too high');
    this.nonces.set(from, expected + 1);
    const to = tx.to!.toLowerCase();
    let payout = 0n;
    const logs: ChainTx['receipt']['logs'] = [];
    let fn = 'unknown';
    let args: readonly unknown[] = [];
    if (to === this.contracts.conditionalTokens.toLowerCase()) {
      const call = decodeFunctionData({ abi: CTF, data: tx.data! });
      fn = call.functionName;
      args = call.args ?? [];
      const [collateral, parent, conditionId, indexSets] = call.args as [Hex, Hex, Hex, bigint[]];
      if (collateral.toLowerCase() !== this.contracts.collateral.toLowerCase()) throw new Error(`execution reverted: collateral ${collateral} is not the one the positions are keyed to`);
      payout = this.redeem(from, conditionId, indexSets.map((s) => (s === 1n ? 0 : 1)), null);
      logs.push({ address: this.contracts.conditionalTokens, topics: encodeEventTopics({ abi: CTF, eventName: 'PayoutRedemption', args: { redeemer: from, collateralToken: collateral, parentCollectionId: parent } }) as Hex[], data: encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256[]' }, { type: 'uint256' }], [conditionId, indexSets, payout]) });
    } else if (to === this.contracts.negRiskAdapter.toLowerCase()) {
      const call = decodeFunctionData({ abi: ADAPTER, data: tx.data! });
      fn = call.functionName;
      args = call.args ?? [];
      const [conditionId, amounts] = call.args as [Hex, bigint[]];
      payout = this.redeem(from, conditionId, amounts.map((_, i) => i), amounts);
      logs.push({ address: this.contracts.negRiskAdapter, topics: encodeEventTopics({ abi: ADAPTER, eventName: 'PayoutRedemption', args: { redeemer: from, conditionId } }) as Hex[], data: encodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256' }], [amounts, payout]) });
    } else {
      throw new Error(`execution reverted: unknown contract ${tx.to}`);
    }
    this.paid.set(from, (this.paid.get(from) ?? 0n) + payout);
    this.txs.set(hash, { hash, from, nonce: tx.nonce!, to: tx.to!, function: fn, args, receipt: { transactionHash: hash, status: '0x1', blockNumber: toHex(++this.block), logs } });
    return hash;
  }

  /** Burns the owner's tokens of the given outcome slots (all held, or `amounts`) and returns what the winner pays. */
  private redeem(owner: Hex, conditionId: Hex, slots: number[], amounts: bigint[] | null): bigint {
    const condition = this.conditions.get(conditionId);
    if (!condition) throw new Error(`execution reverted: condition ${conditionId} not resolved`);
    if (this.payNothing) return 0n;
    let payout = 0n;
    slots.forEach((slot, i) => {
      const tokenId = condition.tokenIds[slot];
      const held = this.balance(owner, tokenId);
      const amount = amounts ? amounts[i] : held;
      if (amount > held) throw new Error(`execution reverted: redeeming ${amount} of token ${tokenId}, holding ${held}`);
      this.hold(owner, tokenId, held - amount);
      if (slot === condition.winner) payout += amount;
    });
    return payout;
  }
}
