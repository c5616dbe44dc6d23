import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Big from 'big.js';
import { getContractConfig } from '@polymarket/clob-client-v2';
import { hashTypedData, type Hex } from 'viem';

type Json = Record<string, unknown>;

export interface Recorded {
  method: string;
  /** Path with query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as sent (what the HMAC covers). */
  raw: string;
}

/** A market the server knows, as the CLOB's market endpoints describe it. */
export interface ServerMarket {
  conditionId: string;
  tokenIds: string[];
  tickSize: string;
  negRisk: boolean;
}

/**
 * What POST /order does with the next order: `rest` (status live), `match` (filled whole by one trade,
 * our order the taker), `reject` (an HTTP error), `hold` (records the order, answers only when
 * `release()` is called), `lose` (neither records nor answers: the order never reached the book).
 */
export type PostMode = { kind: 'rest' } | { kind: 'match' } | { kind: 'reject'; status: number; error: string } | { kind: 'hold' } | { kind: 'lose' };

/**
 * What the next DELETE /order or /orders does: `answer` (cancels, answers), `cancelSilently` (cancels the
 * orders but the answer never comes: lost on the way back), `lose` (neither cancels nor answers).
 */
export type CancelMode = 'answer' | 'cancelSilently' | 'lose';

export interface StoredOrder {
  id: string;
  tokenId: string;
  side: 'BUY' | 'SELL';
  price: Big;
  size: Big;
  matched: Big;
  status: 'LIVE' | 'MATCHED' | 'CANCELED';
}

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

const UNIT = new Big(1_000_000);

/**
 * A loopback Polymarket CLOB (127.0.0.1, port 0) speaking the order endpoints that
 * `@polymarket/clob-client-v2` calls: `/version`, `/tick-size`, `/neg-risk`, `/markets-by-token/{id}`,
 * `/clob-markets/{condition}`, `POST /order`, `GET /data/order/{id}`, `GET /data/trades`,
 * `POST /v1/heartbeats`, `DELETE /order`, `DELETE /orders`. Every request is recorded with its headers and raw body.
 * Order ids are the EIP-712 hash of the posted order, computed here from the body (as the venue does).
 */
export class ClobOrderServer {
  readonly requests: Recorded[] = [];
  readonly markets: ServerMarket[] = [];
  readonly orders = new Map<string, StoredOrder>();
  readonly trades: Json[] = [];
  /** Modes for the next POST /order requests, in order; `rest` when empty. */
  readonly postModes: PostMode[] = [];
  /** Modes for the next cancel requests, in order; `answer` when empty. */
  readonly cancelModes: CancelMode[] = [];
  /** Orders this venue moved to CANCELED, by id, each time it did (never more than once per order). */
  readonly cancellations: string[] = [];
  /** Answer with `Poly-RateLimit-Warning: true` (the per-signer limiter in warning mode) on these paths. */
  readonly rateLimitWarnings = new Set<string>();
  /** Told of every order and trade event the venue's user channel would push (see userChannelServer.ts). */
  onUser: ((message: Json) => void) | null = null;
  private held: (() => void)[] = [];
  private nextHeartbeat = 1;
  private nextTrade = 1;
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly chainId: 137 | 80002) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(chainId: 137 | 80002 = 137): Promise<ClobOrderServer> {
    const s = new ClobOrderServer(chainId);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(method: string, prefix: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
  }

  /** Answers every held POST /order now (as `rest`). */
  release(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  /** Someone took `size` of a resting order: a trade with our order as the maker. */
  fillResting(orderId: string, size: string): void {
    const o = this.orders.get(orderId)!;
    o.matched = o.matched.plus(size);
    if (o.matched.gte(o.size)) o.status = 'MATCHED';
    const trade = this.trade(o, 'other-taker', [{ order_id: o.id, owner: 'k', maker_address: '0x0', matched_amount: size, price: o.price.toString(), fee_rate_bps: '0', asset_id: o.tokenId, outcome: 'Yes', side: o.side }], size);
    this.trades.push(trade);
    this.pushTrade(trade);
    this.pushOrder(o, 'UPDATE', trade.id as string);
  }

  cancel(orderId: string): void {
    const o = this.orders.get(orderId)!;
    if (o.status !== 'LIVE') return;
    o.status = 'CANCELED';
    this.cancellations.push(orderId);
    this.pushOrder(o, 'CANCELLATION');
  }

  /** A trade moves on (MINED, CONFIRMED, FAILED): the user channel tells its new status, same id. */
  settle(tradeId: string, status: string): void {
    const trade = this.trades.find((t) => t.id === tradeId)!;
    trade.status = status;
    this.pushTrade(trade);
  }

  /** The user-channel message of an order event (PLACEMENT, UPDATE, CANCELLATION), as the venue shapes it. */
  orderMessage(o: StoredOrder, type: string, tradeId?: string): Json {
    return { event_type: 'order', type, id: o.id, status: o.status, owner: 'k', order_owner: 'k', market: this.conditionOf(o.tokenId), asset_id: o.tokenId, side: o.side, original_size: o.size.toString(), size_matched: o.matched.toString(), price: o.price.toString(), associate_trades: tradeId ? [tradeId] : [], outcome: 'Yes', order_type: 'GTC', created_at: '0', expiration: '0', maker_address: '0x0', timestamp: '1760000000000' };
  }

  private pushOrder(o: StoredOrder, type: string, tradeId?: string): void {
    this.onUser?.(this.orderMessage(o, type, tradeId));
  }

  private pushTrade(trade: Json): void {
    this.onUser?.({ event_type: 'trade', type: 'TRADE', ...trade, timestamp: '1760000000000' });
  }

  private conditionOf(tokenId: string): string {
    return this.marketOf(tokenId)?.conditionId ?? 'c';
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The id the venue gives a posted order: its EIP-712 hash under the exchange the market trades on. */
  orderHash(order: Json): string {
    const market = this.marketOf(String(order.tokenId));
    const contracts = getContractConfig(this.chainId);
    return hashTypedData({
      domain: { name: 'Polymarket CTF Exchange', version: '2', chainId: this.chainId, verifyingContract: (market?.negRisk ? contracts.negRiskExchangeV2 : contracts.exchangeV2) as Hex },
      types: { Order: ORDER_STRUCT },
      primaryType: 'Order',
      message: {
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
      },
    });
  }

  private marketOf(tokenId: string): ServerMarket | undefined {
    return this.markets.find((m) => m.tokenIds.includes(tokenId));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    this.requests.push({ method, path, headers: req.headers, raw });
    const url = new URL(path, this.url);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(this.rateLimitWarnings.has(url.pathname) ? { 'Poly-RateLimit-Warning': 'true' } : {}) });
      res.end(JSON.stringify(body));
    };
    const p = url.pathname;
    const token = url.searchParams.get('token_id') ?? '';
    if (method === 'GET' && p === '/version') return send(200, { version: 2 });
    if (method === 'GET' && p === '/tick-size') return this.marketOf(token) ? send(200, { minimum_tick_size: Number(this.marketOf(token)!.tickSize) }) : send(404, { error: 'market not found' });
    if (method === 'GET' && p === '/neg-risk') return this.marketOf(token) ? send(200, { neg_risk: this.marketOf(token)!.negRisk }) : send(404, { error: 'market not found' });
    if (method === 'GET' && p.startsWith('/markets-by-token/')) {
      const m = this.marketOf(p.slice('/markets-by-token/'.length));
      return m ? send(200, { condition_id: m.conditionId }) : send(404, { error: 'market not found' });
    }
    if (method === 'GET' && p.startsWith('/clob-markets/')) {
      const m = this.markets.find((x) => x.conditionId === p.slice('/clob-markets/'.length));
      return m ? send(200, { t: m.tokenIds.map((t) => ({ t })), mts: Number(m.tickSize), nr: m.negRisk, fd: { r: 0, e: 0 } }) : send(404, { error: 'market not found' });
    }
    if (method === 'POST' && p === '/order') return this.postOrder(JSON.parse(raw) as Json, send);
    if (method === 'GET' && p.startsWith('/data/order/')) {
      const o = this.orders.get(p.slice('/data/order/'.length));
      if (!o) return send(404, { error: 'order not found' });
      return send(200, { id: o.id, status: o.status, owner: 'k', maker_address: '0x0', market: 'c', asset_id: o.tokenId, side: o.side, original_size: o.size.toString(), size_matched: o.matched.toString(), price: o.price.toString(), associate_trades: [], outcome: 'Yes', created_at: 0, expiration: '0', order_type: 'GTC' });
    }
    if (method === 'GET' && p === '/data/trades') {
      const asset = url.searchParams.get('asset_id');
      return send(200, { data: this.trades.filter((t) => t.asset_id === asset), next_cursor: 'LTE=', limit: 100, count: this.trades.length });
    }
    if (method === 'POST' && p === '/v1/heartbeats') return send(200, { heartbeat_id: `hb-${this.nextHeartbeat++}` });
    if (method === 'DELETE' && (p === '/orders' || p === '/order')) {
      const ids = p === '/order' ? [String((JSON.parse(raw) as Json).orderID)] : (JSON.parse(raw) as string[]);
      return this.cancelOrders(ids, send);
    }
    send(404, { error: `no route ${method} ${p}` });
  }

  /** Cancels what is live; the rest is `not_canceled` with the venue's reason. */
  private cancelOrders(ids: string[], send: (status: number, body: unknown) => void): void {
    const mode = this.cancelModes.shift() ?? 'answer';
    if (mode === 'lose') return;
    const canceled: string[] = [];
    const notCanceled: Json = {};
    for (const id of new Set(ids)) {
      const o = this.orders.get(id);
      if (o?.status === 'LIVE') {
        this.cancel(id);
        canceled.push(id);
      } else notCanceled[id] = o ? 'already canceled or matched' : 'order not found';
    }
    if (mode === 'answer') send(200, { canceled, not_canceled: notCanceled });
  }

  private postOrder(body: Json, send: (status: number, body: unknown) => void): void {
    const mode = this.postModes.shift() ?? { kind: 'rest' };
    if (mode.kind === 'reject') return send(mode.status, { error: mode.error });
    if (mode.kind === 'lose') return; // the socket stays open, unanswered, until close()
    const order = body.order as Json;
    const id = this.orderHash(order);
    const maker = new Big(order.makerAmount as string).div(UNIT);
    const taker = new Big(order.takerAmount as string).div(UNIT);
    const side = order.side as 'BUY' | 'SELL';
    const size = side === 'BUY' ? taker : maker;
    const price = side === 'BUY' ? maker.div(taker) : taker.div(maker);
    const stored: StoredOrder = { id, tokenId: String(order.tokenId), side, price, size, matched: new Big(0), status: 'LIVE' };
    this.orders.set(id, stored);
    if (mode.kind === 'match') {
      stored.matched = size;
      stored.status = 'MATCHED';
      const trade = this.trade(stored, id, [], size.toString());
      this.trades.push(trade);
      this.pushTrade(trade);
      this.pushOrder(stored, 'UPDATE', trade.id as string);
      return send(200, { success: true, errorMsg: '', orderID: id, status: 'matched', tradeIDs: [trade.id], transactionsHashes: ['0xabc'], makingAmount: maker.toString(), takingAmount: taker.toString() });
    }
    this.pushOrder(stored, 'PLACEMENT');
    const answer = () => send(200, { success: true, errorMsg: '', orderID: id, status: 'live', tradeIDs: [], makingAmount: '0', takingAmount: '0' });
    if (mode.kind === 'hold') this.held.push(answer);
    else answer();
  }

  private trade(o: StoredOrder, takerOrderId: string, makerOrders: Json[], size: string): Json {
    return { id: `t${this.nextTrade++}`, taker_order_id: takerOrderId, market: this.conditionOf(o.tokenId), asset_id: o.tokenId, side: o.side, size, fee_rate_bps: '0', price: o.price.toString(), status: 'MATCHED', match_time: '0', last_update: '0', outcome: 'Yes', bucket_index: 0, owner: 'k', maker_address: '0x0', maker_orders: makerOrders, transaction_hash: '0xabc', trader_side: makerOrders.length > 0 ? 'MAKER' : 'TAKER' };
  }
}
