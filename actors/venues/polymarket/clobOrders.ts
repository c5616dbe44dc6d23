import axios from 'axios';
import Big from 'big.js';
import { ClobClient, OrderType, Side, getContractConfig, type OrderVersion, type SignedOrder, type TickSize } from '@polymarket/clob-client-v2';
import { createWalletClient, hashTypedData, http, keccak256, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { InputError } from '../../../events/errors';
import { Fields, type Obj } from '../../../events/validate';
import { CANCEL_BATCH } from './clobLimits';
import type { LiveCredentials } from './credentials';
import { decodeTrade, fillsOfTrade, type VenueFill } from './userChannelParse';

/**
 * The authenticated half of the Polymarket CLOB, through `@polymarket/clob-client-v2`: signing
 * orders (EIP-712, L1) and posting, looking up and heartbeating them (HMAC, L2). It holds the
 * secrets in private fields, so they never reach a log line, an event or an error message; what
 * it returns is plain data. No retries here: the live broker decides (docs/live-orders.md).
 */

/** The bytes32 client order id signed into the order's `metadata`: keccak256 of the intent's order id. */
export function clientOrderId(orderId: string): Hex {
  return keccak256(toHex(orderId));
}

export type ClobOrderType = 'GTC' | 'GTD' | 'FOK' | 'FAK';

/** An order as the broker asks for it; amounts already on the market's grid (decimal strings). */
export interface OrderRequest {
  orderId: string;
  tokenId: string;
  side: 'BUY' | 'SELL';
  price: string;
  /** Shares. */
  size: string;
  orderType: ClobOrderType;
  tickSize: TickSize;
  negRisk: boolean;
  /** GTD only: unix seconds. */
  expiration?: number;
}

export interface PreparedOrder {
  signed: SignedOrder;
  /** The EIP-712 hash of the signed order: the id the venue gives the order. */
  hash: string;
  orderType: ClobOrderType;
}

export type PostOutcome =
  | { kind: 'accepted'; exchangeOrderId: string; status: string; tradeIds: string[] }
  /** The venue answered and refused: the order is not on the book. */
  | { kind: 'rejected'; httpStatus: number | null; message: string }
  /** No answer that settles it (network error, 5xx): the order may or may not be on the book. */
  | { kind: 'unknown'; message: string };

/** The venue's answer to `DELETE /order` or `DELETE /orders`. */
export type CancelOutcome =
  /** Ids cancelled now, and ids not cancelled with the venue's reason ("already canceled or matched", ...). */
  | { kind: 'answered'; canceled: string[]; notCanceled: Record<string, string> }
  /** The venue refused the request itself (4xx): nothing was cancelled. */
  | { kind: 'refused'; message: string }
  /** No answer that settles it (network error, timeout, 5xx): the orders may or may not be cancelled. */
  | { kind: 'unknown'; message: string };

export type LookupOutcome = { kind: 'found'; order: VenueOrder } | { kind: 'missing' } | { kind: 'failed'; message: string };

/** The fields of `GET /data/order/{id}` the broker reads. */
export interface VenueOrder {
  id: string;
  status: string;
  originalSize: string;
  sizeMatched: string;
}

export type { VenueFill } from './userChannelParse';

export interface ClobOrdersOptions {
  host: string;
  chainId: 137 | 80002;
  /** 0 EOA, 1 Polymarket proxy, 2 Gnosis safe. */
  signatureType: 0 | 1 | 2;
  /**
   * An answer of this host carried `Poly-RateLimit-Warning: true` (Polymarket's per-signer order and cancel
   * buckets in warning mode: the request would have been refused under enforcement). Told `METHOD /path`.
   */
  onRateLimitWarning?: (request: string) => void;
}

/** The header Polymarket sets on answers that its per-signer rate limiter would refuse once enforced. */
export const RATE_LIMIT_WARNING = 'poly-ratelimit-warning';

const ORDER_STRUCT = [
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
] as const;

const RESPONSE_ERROR = 'error';
/** The venue's last-page cursor. */
const END_CURSOR = 'LTE=';
const MAX_TRADE_PAGES = 20;

export class ClobOrders {
  readonly address: string;
  readonly #client: ClobClient;
  #version: OrderVersion | null = null;
  /** The axios interceptor that reads the rate-limit warning (the client posts through axios' default instance). */
  readonly #interceptor: number | null;

  constructor(
    private readonly options: ClobOrdersOptions,
    credentials: LiveCredentials,
  ) {
    const account = privateKeyToAccount(credentials.privateKey);
    this.address = account.address;
    // The local account signs in process; the transport is never used (no chain RPC calls).
    const signer = createWalletClient({ account, transport: http('http://127.0.0.1:9') });
    this.#client = new ClobClient({
      host: options.host,
      chain: options.chainId,
      signer,
      creds: { key: credentials.apiKey, secret: credentials.apiSecret, passphrase: credentials.apiPassphrase },
      signatureType: options.signatureType,
      funderAddress: credentials.funder ?? undefined,
      throwOnError: false,
    });
    const warn = options.onRateLimitWarning;
    this.#interceptor = warn ? axios.interceptors.response.use((res) => this.readWarning(res, warn), (err: unknown) => Promise.reject(this.readWarning((err as { response?: unknown }).response, warn, err))) : null;
  }

  /** Stops reading this client's answers (the interceptor sits on a process-wide instance). */
  dispose(): void {
    if (this.#interceptor !== null) axios.interceptors.response.eject(this.#interceptor);
  }

  private readWarning<T>(res: unknown, warn: (request: string) => void, pass: T = res as T): T {
    const r = res as { headers?: Record<string, unknown>; config?: { method?: string; url?: string } } | undefined;
    const url = r?.config?.url ?? '';
    if (url.startsWith(this.options.host) && String(r?.headers?.[RATE_LIMIT_WARNING] ?? '').toLowerCase() === 'true') {
      warn(`${(r?.config?.method ?? '').toUpperCase()} ${url.slice(this.options.host.length).split('?')[0]}`);
    }
    return pass;
  }

  /** Signs an order once; posting the same prepared order again could never double it (one hash). */
  async prepare(req: OrderRequest): Promise<PreparedOrder> {
    const version = await this.version();
    const options = { tickSize: req.tickSize, negRisk: req.negRisk, version };
    const side = req.side === 'BUY' ? Side.BUY : Side.SELL;
    const metadata = clientOrderId(req.orderId);
    let signed: SignedOrder;
    if (req.orderType === 'GTC' || req.orderType === 'GTD') {
      signed = await this.#client.createOrder({ tokenID: req.tokenId, price: Number(req.price), size: Number(req.size), side, metadata, expiration: req.expiration ?? 0 }, options);
    } else {
      // A marketable order at the intent's worst price: BUY amount in USDC, SELL amount in shares.
      const amount = req.side === 'BUY' ? usdcAmount(req.price, req.size) : Number(req.size);
      signed = await this.#client.createMarketOrder({ tokenID: req.tokenId, price: Number(req.price), amount, side, orderType: req.orderType === 'FOK' ? OrderType.FOK : OrderType.FAK, metadata }, options);
    }
    return { signed, hash: this.orderHash(signed, req.negRisk, version), orderType: req.orderType };
  }

  /** `POST /order`, classified. */
  async post(order: PreparedOrder): Promise<PostOutcome> {
    let res: unknown;
    try {
      res = await this.#client.postOrder(order.signed, toOrderType(order.orderType));
    } catch (err) {
      return { kind: 'unknown', message: `POST /order failed: ${(err as Error).message}` };
    }
    return classifyPost(res, `${this.options.host}/order`);
  }

  /** `GET /data/order/{hash}`. */
  async lookup(hash: string): Promise<LookupOutcome> {
    const url = `${this.options.host}/data/order/${hash}`;
    let res: unknown;
    try {
      res = await this.#client.getOrder(hash);
    } catch (err) {
      return { kind: 'failed', message: `GET ${url}: ${(err as Error).message}` };
    }
    if (isError(res)) {
      const status = (res as Obj).status;
      if (status === 404) return { kind: 'missing' };
      return { kind: 'failed', message: `GET ${url}: ${describeError(res)}` };
    }
    // The venue answers an unknown id with an empty body or null.
    if (res === null || res === '' || (typeof res === 'object' && Object.keys(res as Obj).length === 0)) return { kind: 'missing' };
    return { kind: 'found', order: decodeVenueOrder(res, url) };
  }

  /** Our fills of one order among `GET /data/trades?asset_id=&after=` (every page, at most MAX_TRADE_PAGES). */
  async fills(hash: string, tokenId: string, afterSec: number): Promise<VenueFill[]> {
    const url = `${this.options.host}/data/trades?asset_id=${tokenId}`;
    const found: VenueFill[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TRADE_PAGES; page++) {
      const res: unknown = await this.#client.getTradesPaginated({ asset_id: tokenId, after: String(afterSec) }, cursor);
      if (isError(res)) throw new Error(`GET ${url}: ${describeError(res)}`);
      const f = new Fields(res as Obj, { file: url });
      f.array('trades').forEach((t, i) => found.push(...fillsOf(t, hash, url, i)));
      cursor = f.optString('next_cursor') ?? undefined;
      if (cursor === undefined || cursor === END_CURSOR) return found;
    }
    throw new Error(`GET ${url}: more than ${MAX_TRADE_PAGES} pages of trades`);
  }

  /** `POST /v1/heartbeats` with the previous heartbeat id ('' at first); returns the next id. */
  async heartbeat(previousId: string): Promise<string> {
    const res: unknown = await this.#client.postHeartbeat(previousId);
    if (isError(res)) throw new Error(`POST ${this.options.host}/v1/heartbeats: ${describeError(res)}`);
    return new Fields(res as Obj, { file: `${this.options.host}/v1/heartbeats` }).string('heartbeat_id');
  }

  /** `DELETE /order {orderID}`: one order. */
  cancelOne(hash: string): Promise<CancelOutcome> {
    return this.cancelAt('/order', () => this.#client.cancelOrder({ orderID: hash }));
  }

  /** `DELETE /orders [ids]`: at most CANCEL_BATCH orders (the venue's limit; the caller splits). */
  cancel(hashes: readonly string[]): Promise<CancelOutcome> {
    if (hashes.length > CANCEL_BATCH) throw new Error(`cancel: ${hashes.length} orders in one request, the venue takes at most ${CANCEL_BATCH}`);
    return this.cancelAt('/orders', () => this.#client.cancelOrders([...hashes]));
  }

  /** Both cancel requests answer `{canceled: [ids], not_canceled: {id: reason}}`. */
  private async cancelAt(path: string, request: () => Promise<unknown>): Promise<CancelOutcome> {
    const url = `${this.options.host}${path}`;
    let res: unknown;
    try {
      res = await request();
    } catch (err) {
      return { kind: 'unknown', message: `DELETE ${url} failed: ${(err as Error).message}` };
    }
    if (isError(res)) {
      const status = (res as Obj).status;
      const unsettled = typeof status !== 'number' || status >= 500 || status === 408;
      return { kind: unsettled ? 'unknown' : 'refused', message: `DELETE ${url}: ${describeError(res)}` };
    }
    if (typeof res !== 'object' || res === null) return { kind: 'unknown', message: `DELETE ${url}: unreadable answer ${JSON.stringify(res)}` };
    const f = new Fields(res as Obj, { file: url });
    const canceled = f.has('canceled') ? f.stringArray('canceled') : [];
    const notCanceled: Record<string, string> = {};
    if (f.has('not_canceled')) {
      f.object('not_canceled');
      for (const [id, why] of Object.entries((res as Obj).not_canceled as Obj)) notCanceled[id] = typeof why === 'string' ? why : JSON.stringify(why);
    }
    return { kind: 'answered', canceled, notCanceled };
  }

  private async version(): Promise<OrderVersion> {
    if (this.#version === null) {
      const v = await this.#client.getVersion();
      if (v !== 1 && v !== 2 && v !== 3) throw new Error(`GET ${this.options.host}/version: unsupported order version ${JSON.stringify(v)}`);
      if (v === 1) throw new Error(`GET ${this.options.host}/version: the venue still speaks order version 1, which this broker does not sign`);
      this.#version = v;
    }
    return this.#version;
  }

  /** The hash the exchange contract (and so the CLOB) names the order by. */
  private orderHash(signed: SignedOrder, negRisk: boolean, version: OrderVersion): string {
    const contracts = getContractConfig(this.options.chainId);
    const verifyingContract = (version === 3 ? contracts.exchangeV3 : negRisk ? contracts.negRiskExchangeV2 : contracts.exchangeV2) as Hex;
    const o = signed as unknown as Record<string, string | number>;
    return hashTypedData({
      domain: { name: 'Polymarket CTF Exchange', version: String(version), chainId: this.options.chainId, verifyingContract },
      types: { Order: ORDER_STRUCT },
      primaryType: 'Order',
      message: {
        salt: BigInt(o.salt),
        maker: o.maker as Hex,
        signer: o.signer as Hex,
        tokenId: BigInt(o.tokenId),
        makerAmount: BigInt(o.makerAmount),
        takerAmount: BigInt(o.takerAmount),
        side: o.side === 'BUY' ? 0 : 1,
        signatureType: Number(o.signatureType),
        timestamp: BigInt(o.timestamp),
        metadata: o.metadata as Hex,
        builder: o.builder as Hex,
      },
    });
  }
}

/** price x size in USDC, down to the cent (the client keeps 2 decimals of a market BUY amount). */
function usdcAmount(price: string, size: string): number {
  return new Big(price).times(size).round(2, Big.roundDown).toNumber();
}

function toOrderType(t: ClobOrderType): OrderType {
  return t === 'GTC' ? OrderType.GTC : t === 'GTD' ? OrderType.GTD : t === 'FOK' ? OrderType.FOK : OrderType.FAK;
}

function isError(res: unknown): boolean {
  return typeof res === 'object' && res !== null && RESPONSE_ERROR in res;
}

function describeError(res: unknown): string {
  const r = res as Obj;
  const e = r.error;
  const text = typeof e === 'string' ? e : JSON.stringify(e);
  return typeof r.status === 'number' ? `HTTP ${r.status}: ${text}` : text;
}

/** The client returns `{error, status}` for HTTP errors and `{error}` (no status) for network errors. */
export function classifyPost(res: unknown, url: string): PostOutcome {
  if (isError(res)) {
    const status = (res as Obj).status;
    const httpStatus = typeof status === 'number' ? status : null;
    if (httpStatus === null || httpStatus >= 500 || httpStatus === 408) return { kind: 'unknown', message: describeError(res) };
    return { kind: 'rejected', httpStatus, message: describeError(res) };
  }
  if (typeof res !== 'object' || res === null) return { kind: 'unknown', message: `POST ${url}: unreadable answer ${JSON.stringify(res)}` };
  const f = new Fields(res as Obj, { file: url });
  if (f.has('success') && f.bool('success') === false) return { kind: 'rejected', httpStatus: 200, message: f.optString('errorMsg') ?? 'success: false' };
  const tradeIds = f.has('tradeIDs') ? f.stringArray('tradeIDs') : [];
  return { kind: 'accepted', exchangeOrderId: f.string('orderID'), status: f.optString('status') ?? '', tradeIds };
}

function decodeVenueOrder(res: unknown, url: string): VenueOrder {
  if (typeof res !== 'object' || res === null || Array.isArray(res)) throw new InputError({ file: url }, '(body)', 'expected an order object');
  const f = new Fields(res as Obj, { file: url });
  return { id: f.string('id'), status: f.string('status'), originalSize: f.decimal('original_size'), sizeMatched: f.decimal('size_matched') };
}

function fillsOf(trade: unknown, hash: string, url: string, i: number): VenueFill[] {
  if (typeof trade !== 'object' || trade === null) throw new InputError({ file: url }, `data[${i}]`, 'expected a trade object');
  return fillsOfTrade(decodeTrade(new Fields(trade as Obj, { file: url }, `data[${i}].`)), hash);
}
