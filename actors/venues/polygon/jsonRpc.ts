import type { Hex } from 'viem';
import type { SystemClock } from '../../../events/clock';

/** A JSON-RPC error answer (`{error: {code, message}}`), or a transport failure. */
export class JsonRpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
    readonly code: number | null,
  ) {
    super(`${method}: ${message}`);
    this.name = 'JsonRpcError';
  }
}

export interface TransactionReceipt {
  transactionHash: Hex;
  /** "0x1" mined and succeeded, "0x0" reverted. */
  status: Hex;
  blockNumber: Hex;
  logs: { address: string; topics: Hex[]; data: Hex }[];
}

/**
 * The few Ethereum JSON-RPC calls a redemption needs, over HTTP POST (`live.rpcUrl`, env
 * `POLYGON_RPC_URL`). Each call races `timeoutMs` on the injected clock.
 */
export class JsonRpcClient {
  private id = 0;

  constructor(
    private readonly url: string,
    private readonly clock: SystemClock,
    private readonly timeoutMs: number,
  ) {}

  async call<T>(method: string, params: unknown[]): Promise<T> {
    const id = ++this.id;
    const abort = new AbortController();
    const timer = this.clock.setTimeout(() => abort.abort(), this.timeoutMs);
    let body: { result?: T; error?: { code?: number; message?: string } };
    try {
      const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }), signal: abort.signal });
      if (!res.ok) throw new JsonRpcError(method, `HTTP ${res.status}`, null);
      body = (await res.json()) as typeof body;
    } catch (err) {
      if (err instanceof JsonRpcError) throw err;
      throw new JsonRpcError(method, abort.signal.aborted ? `no answer within ${this.timeoutMs} ms` : err instanceof Error ? err.message : String(err), null);
    } finally {
      this.clock.clearTimeout(timer);
    }
    if (body.error) throw new JsonRpcError(method, body.error.message ?? 'error', body.error.code ?? null);
    return body.result as T;
  }

  async chainId(): Promise<number> {
    return Number(await this.call<Hex>('eth_chainId', []));
  }

  async nonce(address: Hex): Promise<number> {
    return Number(await this.call<Hex>('eth_getTransactionCount', [address, 'pending']));
  }

  async gasPrice(): Promise<bigint> {
    return BigInt(await this.call<Hex>('eth_gasPrice', []));
  }

  async estimateGas(tx: { from: Hex; to: Hex; data: Hex }): Promise<bigint> {
    return BigInt(await this.call<Hex>('eth_estimateGas', [tx]));
  }

  async ethCall(to: Hex, data: Hex): Promise<Hex> {
    return this.call<Hex>('eth_call', [{ to, data }, 'latest']);
  }

  async sendRawTransaction(raw: Hex): Promise<Hex> {
    return this.call<Hex>('eth_sendRawTransaction', [raw]);
  }

  async receipt(hash: Hex): Promise<TransactionReceipt | null> {
    return this.call<TransactionReceipt | null>('eth_getTransactionReceipt', [hash]);
  }
}
