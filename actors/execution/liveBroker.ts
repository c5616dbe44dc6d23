import type { TickSize } from '@polymarket/clob-client-v2';
import Big from 'big.js';
import type { Clock } from '../../events/clock';
import { makeEvent, type AnyEvent, type InputEvent, type MarketInfo, type OrderIntentEvent, type OrderUpdateEvent } from '../../events/types';
import type { Config } from '../config/schema';
import type { ClobOrders, ClobOrderType, PostOutcome, PreparedOrder, VenueFill } from '../venues/polymarket/clobOrders';
import { liveCredentialsFromEnv, type LiveCredentials } from '../venues/polymarket/credentials';
import { dec } from '../../domain/decimal';
import { isSettled, lifecycleEventOfUpdate, NOT_FOUND_AFTER_TIMEOUT, orderStep, sentOrder, type OrderProgress } from '../../domain/orderLifecycle';
import { roundFee, unroundedFee } from '../../domain/fees';
import { liveMarketCheck, liveRefusals, liveRejection } from './live/marketRules';
import type { MarketContext } from './marketContext';
import type { Broker, BrokerResult } from './broker';

export type LiveConfig = Config['live'];

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
}

/**
 * How far sending got: `unsent` (logged as handed to the broker, but no `submitted` followed: the
 * process stopped before the POST), `signing`, `sending`, `uncertain` (no answer to the POST: being
 * looked up), `over` (the venue answered, or the broker gave up): from then on the order lifecycle
 * says where the order is.
 */
type Submission = 'unsent' | 'signing' | 'sending' | 'uncertain' | 'over';

interface Tracked {
  intent: OrderIntentEvent;
  info: MarketInfo | null;
  orderType: ClobOrderType;
  hash: string;
  submission: Submission;
  /**
   * The order in the one lifecycle (domain/orderLifecycle.ts), moved by the updates the broker
   * reports and the fills it books; `givenUp` when reported not placed after the lookups (a late
   * answer from the venue can still revive it).
   */
  order: OrderProgress;
  /** Lookups that found nothing after the order was accepted. */
  misses: number;
  /** Trade ids already booked as `exchange_fill`. */
  trades: Set<string>;
  /** Trades are searched from this unix second on. */
  sinceSec: number;
}

const TIMEOUT = Symbol('timeout');
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

  /** Everything but the credentials, which only the order client holds (in private fields). */
  private readonly options: Omit<LiveBrokerOptions, 'live' | 'credentials'>;

  constructor({ live, credentials, ...options }: LiveBrokerOptions) {
    if (live !== true) throw new Error('LiveBroker: refusing to construct without live: true (pma start --live with service.mode = live)');
    if (credentials === null) throw new Error('LiveBroker: refusing to construct without credentials (POLYMARKET_PRIVATE_KEY and the API key, secret and passphrase)');
    this.options = options;
    this.#orders = new (clobOrdersClass())({ host: options.clobUrl, chainId: options.config.chainId, signatureType: options.config.signatureType }, credentials);
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
    for (const e of events) {
      if (e.type === 'order_intent') intents.set(e.orderId, e);
      else if (e.type === 'risk_rejection' || e.type === 'fill') intents.delete(e.orderId);
      else if (e.type === 'order_update') {
        const intent = intents.get(e.orderId);
        if (!intent) continue;
        const t = this.tracked.get(e.orderId) ?? this.track(intent, null, 'GTC', Math.floor(intent.ts / 1000) - TRADE_SLACK_SEC);
        if (e.exchangeOrderId !== '') t.hash = e.exchangeOrderId;
        t.submission = e.status === 'submitted' ? 'uncertain' : 'over';
        t.order = stepByUpdate(t.order, e);
      } else if (e.type === 'exchange_fill' && e.tradeId !== undefined) {
        const t = this.tracked.get(e.orderId);
        if (t && !t.trades.has(e.tradeId)) {
          t.trades.add(e.tradeId);
          t.order = orderStep(t.order, { type: 'FILL', size: e.size, restCancelled: false });
        }
      }
    }
    for (const intent of intents.values()) if (!this.tracked.has(intent.orderId)) this.track(intent, null, 'GTC').submission = 'unsent';
  }

  /** Reconciles the orders `recover` found unfinished; `market` supplies fee terms for their fills. */
  resume(market: (tokenId: string) => MarketContext | undefined): Promise<void> {
    const work = [...this.tracked.values()].map((t) => {
      t.info = t.info ?? market(t.intent.tokenId)?.info ?? null;
      if (t.submission === 'unsent') {
        t.submission = 'over';
        return this.update(t, 'rejected', 'not_sent', 'logged before a restart but never signed and sent; it is not sent now');
      }
      if (t.submission === 'uncertain') return this.reconcile(t, 'restart');
      if (isOpen(t)) return this.refresh(t).then(() => this.schedule());
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
      const hashes = [...this.tracked.values()].filter((t) => isOpen(t) && resting(t)).map((t) => t.hash);
      await this.#orders.cancel(hashes);
    }
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
    const job = this.submit(t).catch((err) => this.problem(`order ${intent.orderId}: ${(err as Error).message}`));
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
    return null;
  }

  private track(intent: OrderIntentEvent, info: MarketInfo | null, orderType: ClobOrderType, sinceSec = Math.floor(this.options.clock.now() / 1000) - TRADE_SLACK_SEC): Tracked {
    const t: Tracked = { intent, info, orderType, hash: '', submission: 'signing', order: sentOrder(intent.size), misses: 0, trades: new Set(), sinceSec };
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
      t.submission = 'over';
      await this.update(t, 'rejected', 'not_signed', `the order was not signed, nothing was sent: ${(err as Error).message}`);
      return;
    }
    t.hash = prepared.hash;
    await this.update(t, 'submitted', t.orderType, `${t.orderType} ${intent.side} ${intent.size} @ ${intent.price}`);
    t.submission = 'sending';
    const post = this.#orders.post(prepared);
    const first = await this.within(post, this.options.config.submitTimeoutMs);
    if (first === TIMEOUT) {
      t.submission = 'uncertain';
      void post.then((late) => this.lateAnswer(t, late)).catch((err) => this.problem(`order ${intent.orderId}: ${(err as Error).message}`));
      await this.reconcile(t, `no answer to POST /order within ${this.options.config.submitTimeoutMs} ms`);
      return;
    }
    await this.answer(t, first);
  }

  private async answer(t: Tracked, outcome: PostOutcome): Promise<void> {
    if (outcome.kind === 'accepted') {
      const renamed = outcome.exchangeOrderId.toLowerCase() !== t.hash.toLowerCase();
      const detail = renamed ? `the venue names the order ${outcome.exchangeOrderId}, not its hash ${t.hash}` : `venue status ${outcome.status || 'none'}`;
      if (renamed) t.hash = outcome.exchangeOrderId;
      t.submission = 'over';
      await this.update(t, 'accepted', outcome.status || 'accepted', detail);
      await this.opened(t);
    } else if (outcome.kind === 'rejected') {
      t.submission = 'over';
      await this.update(t, 'rejected', 'exchange_rejected', outcome.message);
    } else {
      t.submission = 'uncertain';
      await this.reconcile(t, outcome.message);
    }
  }

  /** The original POST answered after the lookups started (or gave up). Facts win: an accepted order is tracked. */
  private async lateAnswer(t: Tracked, outcome: PostOutcome): Promise<void> {
    if (t.submission === 'uncertain') return this.answer(t, outcome);
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
      if (t.submission !== 'uncertain') return;
      const found = await this.#orders.lookup(t.hash);
      if (t.submission !== 'uncertain') return;
      if (found.kind === 'found') {
        t.submission = 'over';
        await this.update(t, 'accepted', `reconciled_${found.order.status.toLowerCase()}`, `${why}; GET /data/order found it (lookup ${attempt})`);
        await this.opened(t);
        return;
      }
      if (found.kind === 'failed') this.problem(`order ${t.intent.orderId}: lookup ${attempt}: ${found.message}`);
    }
    t.submission = 'over';
    await this.update(t, 'rejected', NOT_FOUND_AFTER_TIMEOUT, `${why}; the venue had no order ${t.hash} in ${reconcileAttempts} lookups ${reconcileIntervalMs} ms apart; it was not sent again`);
  }

  private async opened(t: Tracked): Promise<void> {
    if (resting(t)) await this.beat();
    await this.refresh(t);
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
    const status = found.order.status.toUpperCase();
    const final = status.includes('CANCEL') ? 'cancelled' : status.includes('EXPIRE') ? 'expired' : status === 'MATCHED' ? 'matched' : null;
    // Every share booked ends the order whatever the venue's status says yet (it is then no longer polled).
    const allFilled = t.order.status === 'filled';
    if (!allFilled && (final === null || new Big(t.order.filled).lt(found.order.sizeMatched))) return;
    await this.update(t, allFilled || final === 'matched' ? 'filled' : final!, status.toLowerCase(), `${t.order.filled} of ${t.intent.size} filled`);
  }

  private async book(t: Tracked, f: VenueFill): Promise<void> {
    if (t.trades.has(f.tradeId) || f.status.toUpperCase() === 'FAILED') return;
    t.trades.add(f.tradeId);
    t.order = orderStep(t.order, { type: 'FILL', size: f.size, restCancelled: false });
    const fee = t.info ? roundFee(unroundedFee(t.info, new Big(f.size), new Big(f.price), f.liquidity)) : new Big(0);
    const { intent } = t;
    await this.emit(makeEvent('exchange_fill', this.options.clock.now(), { orderId: intent.orderId, tokenId: intent.tokenId, side: intent.side, price: f.price, size: f.size, fee: dec(fee), tradeId: f.tradeId }));
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
    for (const t of open) await this.refresh(t);
    this.schedule();
  }

  private async beat(): Promise<void> {
    try {
      this.heartbeatId = await this.#orders.heartbeat(this.heartbeatId);
    } catch (err) {
      this.problem(`heartbeat: ${(err as Error).message}`);
    }
  }

  /** Reports what the venue (or the broker) says of an order, and moves the order on in its lifecycle by it. */
  private update(t: Tracked, status: OrderUpdateEvent['status'], reason: string, detail: string): Promise<void> {
    const { intent } = t;
    t.order = stepByUpdate(t.order, { status, reason });
    return this.emit(makeEvent('order_update', this.options.clock.now(), { orderId: intent.orderId, strategy: intent.strategy, tokenId: intent.tokenId, exchangeOrderId: t.hash, status, reason, detail }));
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

/** Working at the venue: answered, and neither ended nor given up. */
function isOpen(t: Tracked): boolean {
  return t.submission === 'over' && !isSettled(t.order.status);
}

function stepByUpdate(order: OrderProgress, update: Pick<OrderUpdateEvent, 'status' | 'reason'>): OrderProgress {
  const e = lifecycleEventOfUpdate(update);
  return e === null ? order : orderStep(order, e);
}

function resting(t: Tracked): boolean {
  return t.orderType === 'GTC' || t.orderType === 'GTD';
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
  deps: Pick<LiveBrokerOptions, 'clock' | 'append' | 'onProblem'>,
): LiveBroker | null {
  const modeLive = config.service.mode === 'live';
  if (!modeLive && !flags.live) return null;
  if (!flags.live) throw new Error("service.mode is 'live' but --live was not given: refusing to place real orders without both");
  if (!modeLive) throw new Error("--live was given but service.mode is 'paper': set service.mode to 'live' as well to place real orders");
  return new LiveBroker({ live: true, credentials: liveCredentialsFromEnv(env), clobUrl: config.feeds.clobUrl, config: config.live, ...deps });
}

/** The CLOB client and its signing code (viem) load only for live orders: they are 40 % of a paper service's start-up time. */
function clobOrdersClass(): typeof ClobOrders {
  return (require('../venues/polymarket/clobOrders') as typeof import('../venues/polymarket/clobOrders')).ClobOrders;
}
