import type { TickSize } from '@polymarket/clob-client-v2';
import Big from 'big.js';
import type { Clock } from '../../events/clock';
import { makeEvent, type AnyEvent, type CancelIntentEvent, type InputEvent, type MarketInfo, type OrderIntentEvent, type OrderUpdateEvent } from '../../events/types';
import type { Config } from '../config/schema';
import type { CancelOutcome, ClobOrders, ClobOrderType, PostOutcome, PreparedOrder, VenueFill } from '../venues/polymarket/clobOrders';
import { CANCEL_BATCH } from '../venues/polymarket/clobLimits';
import { liveCredentialsFromEnv, type LiveCredentials } from '../venues/polymarket/credentials';
import { ClobUserChannel, type UserChannelOptions } from '../venues/polymarket/userChannel';
import { fillsOfTrade, ordersOfTrade, type UserOrderMessage, type UserTradeMessage } from '../venues/polymarket/userChannelParse';
import { dec } from '../../domain/decimal';
import { roundFee, unroundedFee } from '../../domain/fees';
import { NOT_FOUND_AFTER_TIMEOUT, orderStep } from '../../domain/orderLifecycle';
import { isOpen, newTracked, record, resting, venueEnd, type Tracked } from './live/trackedOrder';
import { liveMarketCheck, liveRefusals, liveRejection } from './live/marketRules';
import type { MarketContext } from './marketContext';
import type { Broker, BrokerResult } from './broker';

/** The broker's part of the `live` section (the RPC keys are the redeemer's: actors/execution/live/redeemer.ts). */
export type LiveConfig = Omit<Config['live'], 'rpcUrl' | 'rpcTimeoutMs' | 'receiptPollMs' | 'receiptAttempts'>;

export interface LiveBrokerOptions {
  /** Must be true: the service passes it only with service.mode = live and --live. */
  live: boolean;
  credentials: LiveCredentials | null;
  clobUrl: string;
  config: LiveConfig;
  clock: Clock;
  /** Appends an input event to the event log; resolves once it is written (a `submitted` record precedes every POST). */
  append: (event: InputEvent) => void | Promise<void>;
  /** Trouble that is no order's answer (a heartbeat or a fill poll failed); never carries a secret. */
  onProblem?: (message: string) => void;
  /**
   * The CLOB user channel (fills and order events streamed; polling only to reconcile after a reconnect
   * or while the channel is down). Without it fills are polled every heartbeatMs.
   */
  userChannel?: Pick<UserChannelOptions, 'url' | 'random' | 'watchdogMs' | 'reconnectBaseMs' | 'reconnectMaxMs' | 'pingMs'>;
}

const TIMEOUT = Symbol('timeout');
/** The venue's trade statuses the broker acts on. */
const MATCHED = 'MATCHED';
const FAILED = 'FAILED';
/** Seconds of slack when searching trades by time (clock skew between us and the venue). */
const TRADE_SLACK_SEC = 60;
/** Polymarket refuses GTD expirations closer than a minute: the order then lives for expiration - 60 s. */
const GTD_SECURITY_SEC = 60;

/**
 * The live broker (docs/live-orders.md): sends risk-checked order intents to the Polymarket CLOB and
 * reports what the venue says as input events. `execute` answers at once only when it refuses an
 * order (unknown market, guessed market fields, off-grid price or size); otherwise it returns null
 * and the order goes out asynchronously:
 *
 *   sign once (client order id in `metadata`, order hash computed locally) -> append `order_update
 *   submitted` -> POST /order, bounded by submitTimeoutMs -> `accepted` / `rejected`;
 *   no answer -> look the hash up (GET /data/order) up to reconcileAttempts times -> `accepted`, or
 *   `rejected: not_found_after_timeout`. Nothing is ever posted twice.
 *
 * While orders are open it polls their status and trades (fills become `exchange_fill`, once per
 * trade id), and while any of them rests on the book it sends heartbeats every heartbeatMs.
 */
export class LiveBroker implements Broker {
  readonly sendsToVenue = true;
  readonly #orders: ClobOrders;
  private readonly tracked = new Map<string, Tracked>();
  private timer: number | null = null;
  private heartbeatId = '';
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** The user channel, started with the first order; null without one. */
  readonly #stream: ClobUserChannel | null;
  private streamStarted = false;
  /** Open and delivering: no polling. Down or silent: every open order is polled each heartbeatMs. */
  private streamUp = false;
  private streamConnects = 0;
  /** Stream messages are handled one at a time, in arrival order. */
  private streamWork: Promise<void> = Promise.resolve();

  /** Everything but the credentials, which only the order client holds (in private fields). */
  private readonly options: Omit<LiveBrokerOptions, 'live' | 'credentials'>;

  constructor({ live, credentials, ...options }: LiveBrokerOptions) {
    if (live !== true) throw new Error('LiveBroker: refusing to construct without live: true (pma start --live with service.mode = live)');
    if (credentials === null) throw new Error('LiveBroker: refusing to construct without credentials (POLYMARKET_PRIVATE_KEY and the API key, secret and passphrase)');
    this.options = options;
    this.#orders = new (clobOrdersClass())(
      { host: options.clobUrl, chainId: options.config.chainId, signatureType: options.config.signatureType, onRateLimitWarning: (request) => this.rateLimitWarning(request) },
      credentials,
    );
    const u = options.userChannel;
    this.#stream = u
      ? new ClobUserChannel(
          {
            ...u,
            clock: options.clock,
            onStatus: (e) => {
              this.serially(() => this.emit(e));
              this.onStreamStatus(e.status);
            },
            onOrder: (m) => this.serially(() => this.onStreamOrder(m)),
            onTrade: (m) => this.serially(() => this.onStreamTrade(m)),
          },
          { apiKey: credentials.apiKey, secret: credentials.apiSecret, passphrase: credentials.apiPassphrase },
        )
      : null;
  }

  /** Answers that carried `Poly-RateLimit-Warning: true`, by request (`POST /order`, `DELETE /orders`, ...). */
  readonly rateLimitWarnings = new Map<string, number>();

  private rateLimitWarning(request: string): void {
    const n = (this.rateLimitWarnings.get(request) ?? 0) + 1;
    this.rateLimitWarnings.set(request, n);
    // The first of each request, then every 100th: a warning per order would flood the log.
    if (n === 1 || n % 100 === 0) this.problem(`rate limit warning: ${request} would be refused under Polymarket's per-signer limits (${n} so far); slow down`);
  }

  /** The user channel's counters (null without one). */
  get streamCounters(): ClobUserChannel['counters'] | null {
    return this.#stream?.counters ?? null;
  }

  /** The wallet that signs (public). */
  get address(): string {
    return this.#orders.address;
  }

  execute(intent: OrderIntentEvent, market: MarketContext | undefined, ts: number): BrokerResult | null {
    return this.send(intent, market, ts, this.orderTypeFor(intent));
  }

  /**
   * A CLOB cannot fill several orders atomically: every leg goes out as FOK (whole or nothing), but
   * one leg may fill while another is killed; the strategy sees that in the fills (docs/live-orders.md).
   * Refused legs refuse the whole group before anything is sent.
   */
  executeGroup(intents: readonly OrderIntentEvent[], market: (tokenId: string) => MarketContext | undefined, ts: number): BrokerResult[] {
    const refused = liveRefusals(intents, market, ts);
    if (refused.length > 0) return refused;
    return intents.map((intent) => this.send(intent, market(intent.tokenId), ts, 'FOK')).filter((r) => r !== null);
  }

  /**
   * Restart: learns from the log which intents were already sent (never sent again) and which orders
   * are unfinished; `resume()` then asks the venue about them. An intent that passed the checks but
   * has no `order_update` was never posted (`submitted` precedes every POST): it is not sent now
   * either, and `resume()` reports it `rejected: not_sent` so that nothing waits for it.
   */
  recover(events: Iterable<AnyEvent>): void {
    const intents = new Map<string, OrderIntentEvent>();
    const cancels = new Map<string, CancelIntentEvent>();
    for (const e of events) {
      if (e.type === 'order_intent') intents.set(e.orderId, e);
      else if (e.type === 'risk_rejection' || e.type === 'fill') intents.delete(e.orderId);
      else if (e.type === 'order_update') {
        const intent = intents.get(e.orderId);
        if (!intent) continue;
        const t = this.tracked.get(e.orderId) ?? this.track(intent, null, 'GTC', Math.floor(intent.ts / 1000) - TRADE_SLACK_SEC);
        if (e.exchangeOrderId !== '') t.hash = e.exchangeOrderId;
        t.wire = e.status === 'submitted' ? 'uncertain' : null;
        record(t, e);
      } else if (e.type === 'cancel_intent') {
        cancels.set(e.orderId, e);
      } else if (e.type === 'exchange_fill' && e.tradeId !== undefined) {
        const t = this.tracked.get(e.orderId);
        if (t && !t.trades.get(e.tradeId)?.booked) {
          t.trades.set(e.tradeId, { booked: true, status: t.trades.get(e.tradeId)?.status ?? MATCHED });
          t.order = orderStep(t.order, { type: 'FILL', size: e.size, restCancelled: false });
        }
      } else if (e.type === 'trade_status') {
        const t = this.tracked.get(e.orderId);
        if (t) t.trades.set(e.tradeId, { booked: e.booked, status: e.status });
      }
    }
    for (const intent of intents.values()) if (!this.tracked.has(intent.orderId)) this.track(intent, null, 'GTC').wire = 'unsent';
    // A cancel asked for before the restart is sent (again) once `resume` finds its order still open: cancels are idempotent.
    for (const c of cancels.values()) {
      const t = this.tracked.get(c.orderId);
      if (t) t.cancel = { reason: c.reason, detail: c.detail, sent: false };
    }
  }

  /** Reconciles the orders `recover` found unfinished; `market` supplies fee terms for their fills. */
  resume(market: (tokenId: string) => MarketContext | undefined): Promise<void> {
    const work = [...this.tracked.values()].map((t) => {
      t.info = t.info ?? market(t.intent.tokenId)?.info ?? null;
      if (t.wire === 'unsent') {
        t.wire = null;
        return this.update(t, 'rejected', 'not_sent', 'logged before a restart but never signed and sent; it is not sent now');
      }
      if (t.wire === 'uncertain' || isOpen(t)) this.follow(t);
      if (t.wire === 'uncertain') return this.reconcile(t, 'restart');
      if (isOpen(t)) return this.refresh(t).then(() => this.cancelIfAsked(t)).then(() => this.schedule());
      return Promise.resolve();
    });
    return Promise.all(work).then(() => undefined);
  }

  /** Resolves when every submission started so far has its answer (or its verdict). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Orders still open at the venue, by intent order id. */
  openOrders(): string[] {
    return [...this.tracked.values()].filter(isOpen).map((t) => t.intent.orderId);
  }

  /** Stops sending (new intents are refused) and polling; resting orders are cancelled if asked, else by the venue when heartbeats stop. */
  async close(cancelResting = false): Promise<void> {
    this.closed = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    if (cancelResting) {
      const hashes = this.restingHashes();
      for (let i = 0; i < hashes.length; i += CANCEL_BATCH) await this.#orders.cancel(hashes.slice(i, i + CANCEL_BATCH));
    }
    await this.#stream?.close();
    this.#orders.dispose();
  }

  /**
   * Cancels every order resting on the book (the kill switch): `DELETE /orders` in batches within the
   * venue's limit, each order's `cancel_submitted` logged first. The venue's answer comes as for any order:
   * `cancelled` (with what filled) from the user channel, or from a poll when the channel is down.
   * Cancelling twice is harmless (the venue lists it as not cancelled).
   */
  async cancelResting(): Promise<string[]> {
    const open = [...this.tracked.values()].filter((t) => isOpen(t) && resting(t));
    for (const t of open) t.cancel = { reason: 'kill_switch', detail: 'the kill switch cancels every resting order', sent: false };
    await this.sendCancels(open, 'batch');
    return open.map((t) => t.intent.orderId);
  }

  /**
   * Cancels orders risk let through (`cancel_intent`): an open order at once (one `DELETE /order`, several
   * `DELETE /orders`), one not yet answered as soon as the venue acknowledges it; an ended order is not
   * sent. Answers come later as input events (docs/live-orders.md, "Cancels"); nothing now.
   */
  cancel(cancels: readonly CancelIntentEvent[]): BrokerResult[] {
    const now: Tracked[] = [];
    for (const c of cancels) {
      const t = this.tracked.get(c.orderId);
      // One cancel per order: asking again changes nothing.
      if (!t || t.cancel !== null) continue;
      t.cancel = { reason: c.reason, detail: c.detail, sent: false };
      if (isOpen(t)) now.push(t);
    }
    if (now.length > 0) this.background(this.sendCancels(now, 'auto'), 'cancel');
    return [];
  }

  /** An order acknowledged (or found open again after a restart) that was asked to be cancelled meanwhile. */
  private async cancelIfAsked(t: Tracked): Promise<void> {
    if (isOpen(t) && t.cancel !== null && !t.cancel.sent) await this.sendCancels([t], 'auto');
  }

  /** Logs `cancel_submitted` for each order, then sends the cancels: `batch` always by `DELETE /orders`, `auto` by `DELETE /order` for one. */
  private async sendCancels(list: readonly Tracked[], via: 'auto' | 'batch'): Promise<void> {
    for (const t of list) {
      t.cancel!.sent = true;
      await this.update(t, 'cancel_submitted', t.cancel!.reason, t.cancel!.detail);
    }
    for (let i = 0; i < list.length; i += CANCEL_BATCH) await this.cancelBatch(list.slice(i, i + CANCEL_BATCH), via);
  }

  /**
   * One cancel request and its answer. Lost (timeout, network, 5xx): the orders are looked up by hash and
   * only those the venue still lists live are cancelled again, up to reconcileAttempts requests in all.
   */
  private async cancelBatch(batch: readonly Tracked[], via: 'auto' | 'batch'): Promise<void> {
    const { reconcileAttempts, reconcileIntervalMs, submitTimeoutMs } = this.options.config;
    let left = batch;
    for (let attempt = 1; left.length > 0; attempt++) {
      const request = via === 'auto' && left.length === 1 ? this.#orders.cancelOne(left[0].hash) : this.#orders.cancel(left.map((t) => t.hash));
      const answer: CancelOutcome | typeof TIMEOUT = await this.within(request, submitTimeoutMs);
      if (answer !== TIMEOUT && answer.kind === 'answered') return this.cancelAnswered(left, answer);
      const why = answer === TIMEOUT ? `no answer to the cancel within ${submitTimeoutMs} ms` : answer.message;
      if (answer !== TIMEOUT && answer.kind === 'refused') {
        for (const t of left) await this.update(t, 'not_cancelled', 'cancel_refused', why);
        return;
      }
      if (attempt >= reconcileAttempts) {
        this.problem(`cancel of ${left.map((t) => t.intent.orderId).join(', ')}: ${why}; gave up after ${attempt} requests (the orders are still followed)`);
        return;
      }
      await this.sleep(reconcileIntervalMs);
      const still: Tracked[] = [];
      for (const t of left) {
        const found = await this.#orders.lookup(t.hash);
        if (found.kind === 'failed' || (found.kind === 'found' && venueEnd(found.order.status) === null)) still.push(t);
        else if (!this.streamUp) await this.refresh(t);
      }
      left = still;
    }
  }

  /** The venue cancelled some and refused others (already matched or cancelled): the refusals are recorded; the ends come by stream or poll. */
  private async cancelAnswered(batch: readonly Tracked[], answer: Extract<CancelOutcome, { kind: 'answered' }>): Promise<void> {
    const byHash = new Map(batch.map((t) => [t.hash.toLowerCase(), t]));
    for (const [id, why] of Object.entries(answer.notCanceled)) {
      const t = byHash.get(id.toLowerCase());
      if (t) await this.update(t, 'not_cancelled', 'venue_not_canceled', why);
    }
    if (!this.streamUp) for (const t of batch) await this.refresh(t);
  }

  private restingHashes(): string[] {
    return [...this.tracked.values()].filter((t) => isOpen(t) && resting(t)).map((t) => t.hash);
  }

  private orderTypeFor(intent: OrderIntentEvent): ClobOrderType {
    return intent.orderType === 'fok' ? 'FOK' : intent.orderType === 'market' ? 'FAK' : this.options.config.limitOrderType;
  }

  private send(intent: OrderIntentEvent, market: MarketContext | undefined, ts: number, orderType: ClobOrderType): BrokerResult | null {
    // The same intent (a replay, a restart) is never sent twice.
    if (this.tracked.has(intent.orderId)) return null;
    if (this.closed) return liveRejection(intent, 'live_broker_closed', 'the live broker is shutting down', ts);
    const verdict = liveMarketCheck(intent, market);
    if (!verdict.ok) return liveRejection(intent, verdict.reason, verdict.detail, ts);
    const t = this.track(intent, verdict.info, orderType);
    this.background(this.submit(t), `order ${intent.orderId}`);
    return null;
  }

  /** Work that answers later: awaited by `settled()`, its failure reported. */
  private background(work: Promise<void>, what: string): void {
    const job = work.catch((err) => this.problem(`${what}: ${(err as Error).message}`));
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  private track(intent: OrderIntentEvent, info: MarketInfo | null, orderType: ClobOrderType, sinceSec = Math.floor(this.options.clock.now() / 1000) - TRADE_SLACK_SEC): Tracked {
    const t = newTracked(intent, info, orderType, sinceSec);
    this.tracked.set(intent.orderId, t);
    return t;
  }

  private async submit(t: Tracked): Promise<void> {
    const { intent, info } = t;
    let prepared: PreparedOrder;
    try {
      prepared = await this.#orders.prepare({
        orderId: intent.orderId,
        tokenId: intent.tokenId,
        side: intent.side,
        price: intent.price,
        size: intent.size,
        orderType: t.orderType,
        tickSize: info!.tickSize as TickSize,
        negRisk: info!.negRisk,
        expiration: t.orderType === 'GTD' ? Math.floor((this.options.clock.now() + this.options.config.gtdTtlMs) / 1000) + GTD_SECURITY_SEC : undefined,
      });
    } catch (err) {
      t.wire = null;
      await this.update(t, 'rejected', 'not_signed', `the order was not signed, nothing was sent: ${(err as Error).message}`);
      return;
    }
    t.hash = prepared.hash;
    this.follow(t);
    await this.update(t, 'submitted', t.orderType, `${t.orderType} ${intent.side} ${intent.size} @ ${intent.price}`);
    t.wire = 'sending';
    const post = this.#orders.post(prepared);
    const first = await this.within(post, this.options.config.submitTimeoutMs);
    if (first === TIMEOUT) {
      t.wire = 'uncertain';
      void post.then((late) => this.lateAnswer(t, late)).catch((err) => this.problem(`order ${intent.orderId}: ${(err as Error).message}`));
      await this.reconcile(t, `no answer to POST /order within ${this.options.config.submitTimeoutMs} ms`);
      return;
    }
    await this.answer(t, first);
  }

  private async answer(t: Tracked, outcome: PostOutcome): Promise<void> {
    if (outcome.kind === 'accepted') {
      const renamed = outcome.exchangeOrderId.toLowerCase() !== t.hash.toLowerCase();
      const trades = outcome.tradeIds.length > 0 ? `; trades ${outcome.tradeIds.join(',')}` : '';
      const detail = (renamed ? `the venue names the order ${outcome.exchangeOrderId}, not its hash ${t.hash}` : `venue status ${outcome.status || 'none'}`) + trades;
      if (renamed) t.hash = outcome.exchangeOrderId;
      t.wire = null;
      await this.update(t, 'accepted', outcome.status || 'accepted', detail);
      await this.opened(t);
    } else if (outcome.kind === 'rejected') {
      t.wire = null;
      await this.update(t, 'rejected', 'exchange_rejected', outcome.message);
    } else {
      t.wire = 'uncertain';
      await this.reconcile(t, outcome.message);
    }
  }

  /** The original POST answered after the lookups started (or gave up). Facts win: an accepted order is tracked. */
  private async lateAnswer(t: Tracked, outcome: PostOutcome): Promise<void> {
    if (t.wire === 'uncertain') return this.answer(t, outcome);
    if (t.order.status === 'givenUp' && outcome.kind === 'accepted') {
      await this.update(t, 'accepted', 'late_answer', `the venue acknowledged ${outcome.exchangeOrderId} after it was reported not placed`);
      await this.opened(t);
    }
  }

  /** Asks the venue for the order by hash; never posts it again. */
  private async reconcile(t: Tracked, why: string): Promise<void> {
    const { reconcileAttempts, reconcileIntervalMs } = this.options.config;
    for (let attempt = 1; attempt <= reconcileAttempts; attempt++) {
      if (attempt > 1) await this.sleep(reconcileIntervalMs);
      if (t.wire !== 'uncertain') return;
      const found = await this.#orders.lookup(t.hash);
      if (t.wire !== 'uncertain') return;
      if (found.kind === 'found') {
        t.wire = null;
        await this.update(t, 'accepted', `reconciled_${found.order.status.toLowerCase()}`, `${why}; GET /data/order found it (lookup ${attempt})`);
        await this.opened(t);
        return;
      }
      if (found.kind === 'failed') this.problem(`order ${t.intent.orderId}: lookup ${attempt}: ${found.message}`);
    }
    t.wire = null;
    await this.update(t, 'rejected', NOT_FOUND_AFTER_TIMEOUT, `${why}; the venue had no order ${t.hash} in ${reconcileAttempts} lookups ${reconcileIntervalMs} ms apart; it was not sent again`);
  }

  private async opened(t: Tracked): Promise<void> {
    if (resting(t)) await this.beat();
    await this.refresh(t);
    await this.cancelIfAsked(t);
    this.schedule();
  }

  /** Reads an open order's status and trades; books new fills and closes the order when the venue has. */
  private async refresh(t: Tracked): Promise<void> {
    const found = await this.#orders.lookup(t.hash);
    if (found.kind === 'failed') return this.problem(`order ${t.intent.orderId}: ${found.message}`);
    if (found.kind === 'missing') {
      if (++t.misses >= this.options.config.reconcileAttempts) {
        await this.update(t, 'cancelled', 'not_listed', `the venue no longer lists order ${t.hash} (${t.misses} lookups); ${t.order.filled} of ${t.intent.size} filled`);
      }
      return;
    }
    let fills: VenueFill[];
    try {
      fills = await this.#orders.fills(t.hash, t.intent.tokenId, t.sinceSec);
    } catch (err) {
      return this.problem(`order ${t.intent.orderId}: ${(err as Error).message}`);
    }
    for (const f of fills) await this.book(t, f);
    t.venue = { status: found.order.status.toUpperCase(), sizeMatched: found.order.sizeMatched };
    await this.closeIfFinal(t);
  }

  /** Ends an open order once the venue calls it final and every trade it counted is booked. */
  private async closeIfFinal(t: Tracked): Promise<void> {
    if (!isOpen(t) || t.venue === null) return;
    const { status, sizeMatched } = t.venue;
    const final = venueEnd(status);
    if (final === null || new Big(t.order.filled).lt(sizeMatched)) return;
    await this.update(t, final === 'matched' ? 'filled' : final, status.toLowerCase(), `${t.order.filled} of ${t.intent.size} filled`);
  }

  /** Subscribes the order's market on the user channel (before the POST, so no event of it is missed). */
  private follow(t: Tracked): void {
    if (this.#stream === null || this.closed) return;
    const conditionId = t.info?.conditionId;
    if (conditionId) this.#stream.subscribe([conditionId]);
    if (!this.streamStarted) {
      this.streamStarted = true;
      this.#stream.start();
    }
  }

  private serially(work: () => Promise<void>): void {
    const job = (this.streamWork = this.streamWork.then(work).catch((err) => this.problem(`user channel: ${(err as Error).message}`)));
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  /** Connected again (or delivering again) after a gap: what was missed is asked of the venue once. */
  private onStreamStatus(status: string): void {
    if (status === 'connected' || status === 'recovered') {
      const gap = status === 'recovered' || this.streamConnects++ > 0;
      this.streamUp = true;
      if (gap) this.serially(() => this.reconcileOpen());
    } else if (status === 'disconnected' || status === 'stale') {
      this.streamUp = false;
      this.schedule();
    }
  }

  private async reconcileOpen(): Promise<void> {
    for (const t of [...this.tracked.values()]) if (isOpen(t)) await this.refresh(t);
  }

  private byHash(hash: string): Tracked | undefined {
    const h = hash.toLowerCase();
    for (const t of this.tracked.values()) if (t.hash !== '' && t.hash.toLowerCase() === h) return t;
    return undefined;
  }

  /** A trade of ours from the user channel: booked once per trade id (the poll finds the same ids), late fills included. */
  private async onStreamTrade(m: UserTradeMessage): Promise<void> {
    for (const hash of ordersOfTrade(m)) {
      const t = this.byHash(hash);
      if (!t) continue;
      for (const f of fillsOfTrade(m, t.hash)) await this.book(t, f);
      await this.closeIfFinal(t);
    }
  }

  /** An order event from the user channel: a final status closes the order once its trades are booked. */
  private async onStreamOrder(m: UserOrderMessage): Promise<void> {
    const t = this.byHash(m.orderId);
    if (!t) return;
    if (t.wire === 'uncertain') {
      t.wire = null;
      await this.update(t, 'accepted', `stream_${m.status.toLowerCase()}`, `the user channel reported the unanswered order (${m.type})`);
      await this.opened(t);
    }
    t.venue = { status: m.status, sizeMatched: m.sizeMatched };
    await this.closeIfFinal(t);
  }

  /**
   * A trade of the order, as the stream or a poll tells it: booked once per trade id at its first status
   * that is not FAILED (`exchange_fill`); each later status (MINED, CONFIRMED, RETRYING, FAILED) recorded
   * once as `trade_status`. A booked trade that FAILS is reported, not reversed (docs/live-orders.md, Limits).
   */
  private async book(t: Tracked, f: VenueFill): Promise<void> {
    const { intent } = t;
    const status = f.status.toUpperCase();
    if (!t.trades.has(f.tradeId) && status !== FAILED) {
      t.trades.set(f.tradeId, { booked: true, status: MATCHED });
      t.order = orderStep(t.order, { type: 'FILL', size: f.size, restCancelled: false });
      const fee = t.info ? roundFee(unroundedFee(t.info, new Big(f.size), new Big(f.price), f.liquidity)) : new Big(0);
      await this.emit(makeEvent('exchange_fill', this.options.clock.now(), { orderId: intent.orderId, tokenId: intent.tokenId, side: intent.side, price: f.price, size: f.size, fee: dec(fee), tradeId: f.tradeId }));
    }
    const seen = t.trades.get(f.tradeId) ?? { booked: false, status: '' };
    if (seen.status === status) return;
    t.trades.set(f.tradeId, { booked: seen.booked, status });
    await this.emit(makeEvent('trade_status', this.options.clock.now(), { orderId: intent.orderId, tokenId: intent.tokenId, tradeId: f.tradeId, status, booked: seen.booked }));
    if (status === FAILED && seen.booked) this.problem(`order ${intent.orderId}: trade ${f.tradeId} (${f.size} @ ${f.price}) FAILED at the venue after it was booked; the fill is not reversed: check the wallet`);
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    if (![...this.tracked.values()].some(isOpen)) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.options.config.heartbeatMs);
  }

  private async tick(): Promise<void> {
    const open = [...this.tracked.values()].filter(isOpen);
    if (open.some(resting)) await this.beat();
    // With the user channel delivering, fills and order events are streamed: no polling.
    if (!this.streamUp) for (const t of open) await this.refresh(t);
    this.schedule();
  }

  private async beat(): Promise<void> {
    try {
      this.heartbeatId = await this.#orders.heartbeat(this.heartbeatId);
    } catch (err) {
      this.problem(`heartbeat: ${(err as Error).message}`);
    }
  }

  /** Writes an `order_update` and moves the order on by it at once (before the write completes, so no other path acts on the old state). */
  private update(t: Tracked, status: OrderUpdateEvent['status'], reason: string, detail: string): Promise<void> {
    const { intent } = t;
    const event = makeEvent('order_update', this.options.clock.now(), { orderId: intent.orderId, strategy: intent.strategy, tokenId: intent.tokenId, exchangeOrderId: t.hash, status, reason, detail });
    record(t, event);
    return this.emit(event);
  }

  private async emit(event: InputEvent): Promise<void> {
    await this.options.append(event);
  }

  private problem(message: string): void {
    this.options.onProblem?.(message);
  }

  private within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
    return new Promise((resolve, reject) => {
      const id = this.options.clock.setTimeout(() => resolve(TIMEOUT), ms);
      promise.then(
        (v) => {
          this.options.clock.clearTimeout(id);
          resolve(v);
        },
        (err) => {
          this.options.clock.clearTimeout(id);
          reject(err);
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimeout(() => resolve(), ms));
  }
}

/**
 * The service's one way to a live broker: null in paper mode; a broker only when the config says
 * service.mode = live AND the command line says --live; an error when only one of them does, or
 * when a credential is missing. Nothing touches the network before an order.
 */
export function liveBrokerFromConfig(
  config: Pick<Config, 'service' | 'live' | 'feeds'>,
  flags: { live: boolean },
  env: Record<string, string | undefined>,
  deps: Pick<LiveBrokerOptions, 'clock' | 'append' | 'onProblem'> & { random?: () => number },
): LiveBroker | null {
  const modeLive = config.service.mode === 'live';
  if (!modeLive && !flags.live) return null;
  if (!flags.live) throw new Error("service.mode is 'live' but --live was not given: refusing to place real orders without both");
  if (!modeLive) throw new Error("--live was given but service.mode is 'paper': set service.mode to 'live' as well to place real orders");
  const f = config.feeds;
  const { random, ...rest } = deps;
  const userChannel = random ? { url: f.clobUserWsUrl, random, watchdogMs: f.watchdogMs, reconnectBaseMs: f.reconnectBaseMs, reconnectMaxMs: f.reconnectMaxMs, pingMs: f.clobPingMs } : undefined;
  return new LiveBroker({ live: true, credentials: liveCredentialsFromEnv(env), clobUrl: f.clobUrl, config: config.live, ...rest, userChannel });
}

/** The CLOB client and its signing code (viem) load only for live orders: they are 40 % of a paper service's start-up time. */
function clobOrdersClass(): typeof ClobOrders {
  return (require('../venues/polymarket/clobOrders') as typeof import('../venues/polymarket/clobOrders')).ClobOrders;
}
