import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getContractConfig } from '@polymarket/clob-client-v2';
import { decodeFunctionData, encodeAbiParameters, encodeEventTopics, keccak256, parseAbi, parseTransaction, recoverTransactionAddress, toHex, type Hex } from 'viem';

// The contracts' ABI as this server knows it, written apart from the project's (a wrong selector there is caught here).
const CTF = parseAbi([
  'function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)',
  'function balanceOf(address owner, uint256 id) view returns (uint256)',
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'function setApprovalForAll(address operator, bool approved)',
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
  'event ApprovalForAll(address indexed owner, address indexed operator, bool approved)',
]);
const ADAPTER = parseAbi(['function redeemPositions(address collateralToken, bytes32 parentCollectionId, bytes32 conditionId, uint256[] indexSets)']);
const ERC20 = parseAbi(['event Transfer(address indexed from, address indexed to, uint256 value)']);
/** Polygon's pUSD collateral adapters (Polymarket's contracts reference) and USDC.e, which V2 positions are keyed to. */
const CTF_ADAPTER: Hex = '0xAdA100Db00Ca00073811820692005400218FcE1f';
const NEG_RISK_CTF_ADAPTER: Hex = '0xadA2005600Dec949baf300f4C6120000bDB6eAab';
const USDC_E: Hex = '0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174';
const ZERO_ADDRESS: Hex = `0x${'0'.repeat(40)}`;

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
 * balanceOf, isApprovedForAll), eth_sendRawTransaction (decodes and verifies the signed transaction and
 * executes it) and eth_getTransactionReceipt (held back while `holdReceipts`). As on Polygon since pUSD:
 * - ConditionalTokens.setApprovalForAll(operator, approved) sets the wallet's ERC-1155 approval;
 * - a collateral adapter's redeemPositions(pUSD, 0, condition, indexSets) needs the wallet's approval of
 *   that adapter (else it reverts), burns the wallet's tokens of the condition and pays the winner 1 pUSD a
 *   share (a pUSD `Transfer` log to the wallet, beside the CTF's `PayoutRedemption` to the adapter); the
 *   adapter of the other market kind finds positions keyed to another collateral: burns and pays nothing;
 * - ConditionalTokens.redeemPositions called directly with pUSD likewise succeeds, burns and pays nothing.
 */
export class JsonRpcChain {
  readonly contracts: { conditionalTokens: Hex; collateral: Hex; ctfAdapter: Hex; negRiskAdapter: Hex };
  /** ERC1155 balances in 6-decimal units, by `owner(lower case):tokenId`. */
  readonly balances = new Map<string, bigint>();
  /** Resolved conditions: their tokens in outcome order, the winner's index, and whether the market is negRisk. */
  readonly conditions = new Map<string, { tokenIds: string[]; winner: number; negRisk?: boolean }>();
  /** ERC-1155 approvals on ConditionalTokens, as `owner(lower case):operator(lower case)`. */
  readonly approvals = new Set<string>();
  /** redeemPositions executed on each adapter (lower-case address), successful ones only. */
  readonly adapterRedeems = new Map<string, number>();
  /** Collateral paid out, by owner (lower case). */
  readonly paid = new Map<string, bigint>();
  readonly txs = new Map<Hex, ChainTx>();
  /** Every eth_sendRawTransaction whose calldata is redeemPositions, duplicates included. */
  redeemSends = 0;
  holdReceipts = false;
  gasPriceWei = 30_000_000_000n;
  /** The next eth_sendRawTransaction is lost: the connection drops before the node sees it. */
  dropNextSend = false;
  readonly methods: string[] = [];
  private readonly nonces = new Map<string, number>();
  private block = 1000;

  private constructor(
    private readonly server: Server,
    readonly chainId: number,
  ) {
    const c = getContractConfig(chainId);
    this.contracts = { conditionalTokens: c.conditionalTokens as Hex, collateral: c.collateral as Hex, ctfAdapter: CTF_ADAPTER, negRiskAdapter: NEG_RISK_CTF_ADAPTER };
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

  approve(owner: string, operator: string): void {
    this.approvals.add(`${owner.toLowerCase()}:${operator.toLowerCase()}`);
  }

  approved(owner: string, operator: string): boolean {
    return this.approvals.has(`${owner.toLowerCase()}:${operator.toLowerCase()}`);
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
        if (call.functionName === 'isApprovedForAll') {
          const [owner, operator] = call.args as [Hex, Hex];
          return encodeAbiParameters([{ type: 'bool' }], [this.approved(owner, operator)]);
        }
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
    const adapter = [this.contracts.ctfAdapter, this.contracts.negRiskAdapter].find((a) => a.toLowerCase() === to);
    if (to === this.contracts.conditionalTokens.toLowerCase()) {
      const call = decodeFunctionData({ abi: CTF, data: tx.data! });
      fn = call.functionName;
      args = call.args ?? [];
      if (call.functionName === 'setApprovalForAll') {
        const [operator, approved] = call.args as [Hex, boolean];
        if (approved) this.approve(from, operator);
        else this.approvals.delete(`${from}:${operator.toLowerCase()}`);
        logs.push({ address: this.contracts.conditionalTokens, topics: encodeEventTopics({ abi: CTF, eventName: 'ApprovalForAll', args: { owner: from, operator } }) as Hex[], data: encodeAbiParameters([{ type: 'bool' }], [approved]) });
      } else if (call.functionName === 'redeemPositions') {
        // Direct with pUSD: the position ids it computes are nobody's (V2 positions are keyed to USDC.e or the negRisk wrapper).
        const [collateral, parent, conditionId, indexSets] = call.args as [Hex, Hex, Hex, bigint[]];
        if (!this.conditions.has(conditionId)) throw new Error(`execution reverted: condition ${conditionId} not resolved`);
        logs.push(this.payoutRedemption(from, collateral, parent, conditionId, indexSets, 0n));
      } else {
        throw new Error(`execution reverted: ConditionalTokens.${call.functionName} not served`);
      }
    } else if (adapter) {
      const call = decodeFunctionData({ abi: ADAPTER, data: tx.data! });
      fn = call.functionName;
      args = call.args ?? [];
      const [collateral, parent, conditionId, indexSets] = call.args as [Hex, Hex, Hex, bigint[]];
      if (collateral.toLowerCase() !== this.contracts.collateral.toLowerCase()) throw new Error(`execution reverted: collateral ${collateral} is not pUSD`);
      const condition = this.conditions.get(conditionId);
      if (!condition) throw new Error(`execution reverted: condition ${conditionId} not resolved`);
      if (!this.approved(from, adapter)) throw new Error('execution reverted: ERC1155: need operator approval for 3rd party transfers.');
      const kindMatches = (adapter === this.contracts.negRiskAdapter) === (condition.negRisk === true);
      if (kindMatches) payout = this.redeem(from, conditionId, indexSets.map((s) => (s === 1n ? 0 : 1)));
      logs.push(this.payoutRedemption(adapter, USDC_E, parent, conditionId, indexSets, payout));
      if (payout > 0n) logs.push({ address: this.contracts.collateral, topics: encodeEventTopics({ abi: ERC20, eventName: 'Transfer', args: { from: ZERO_ADDRESS, to: from } }) as Hex[], data: encodeAbiParameters([{ type: 'uint256' }], [payout]) });
      this.adapterRedeems.set(to, (this.adapterRedeems.get(to) ?? 0) + 1);
    } else {
      throw new Error(`execution reverted: unknown contract ${tx.to}`);
    }
    this.paid.set(from, (this.paid.get(from) ?? 0n) + payout);
    this.txs.set(hash, { hash, from, nonce: tx.nonce!, to: tx.to!, function: fn, args, receipt: { transactionHash: hash, status: '0x1', blockNumber: toHex(++this.block), logs } });
    return hash;
  }

  private payoutRedemption(redeemer: Hex, collateralToken: Hex, parentCollectionId: Hex, conditionId: Hex, indexSets: bigint[], payout: bigint): ChainTx['receipt']['logs'][number] {
    const topics = encodeEventTopics({ abi: CTF, eventName: 'PayoutRedemption', args: { redeemer, collateralToken, parentCollectionId } }) as Hex[];
    return { address: this.contracts.conditionalTokens, topics, data: encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256[]' }, { type: 'uint256' }], [conditionId, indexSets, payout]) };
  }

  /** Burns all the owner's tokens of the given outcome slots and returns what the winner pays. */
  private redeem(owner: Hex, conditionId: Hex, slots: number[]): bigint {
    const condition = this.conditions.get(conditionId)!;
    let payout = 0n;
    for (const slot of slots) {
      const tokenId = condition.tokenIds[slot];
      if (slot === condition.winner) payout += this.balance(owner, tokenId);
      this.hold(owner, tokenId, 0n);
    }
    return payout;
  }
}
