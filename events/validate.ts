import { InputError, type InputLocation, show } from './errors';
import { eventVersion, isInputType, type AnyEvent, type InputEvent, type TradeEvent } from './types';

/** Non-negative decimal without exponent: "0", "0.53", "61556.04". */
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
const NONZERO = /[1-9]/;

export type Obj = Record<string, unknown>;

/** Field readers that throw an `InputError` naming the field. Shared by every parser of outside data. */
export class Fields {
  constructor(
    readonly obj: Obj,
    readonly where: InputLocation,
    readonly prefix = '',
  ) {}

  private fail(field: string, problem: string): never {
    throw new InputError(this.where, this.prefix + field, problem);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  string(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string') this.fail(field, `expected a string, got ${show(v)}`);
    return v;
  }

  optString(field: string): string | null {
    return this.has(field) ? this.string(field) : null;
  }

  bool(field: string): boolean {
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.fail(field, `expected true or false, got ${show(v)}`);
    return v;
  }

  optBool(field: string, fallback: boolean): boolean {
    return this.has(field) ? this.bool(field) : fallback;
  }

  int(field: string): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(field, `expected an integer, got ${show(v)}`);
    return v;
  }

  /** A time in ms: a non-negative integer, or an integer string (venues send both). */
  timeMs(field: string): number {
    const v = this.obj[field];
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) this.fail(field, `expected a time in ms, got ${show(v)}`);
    return n;
  }

  number(field: string): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `expected a finite number, got ${show(v)}`);
    return v;
  }

  /** A non-negative decimal string; numbers are accepted and converted (some venues send them). */
  decimal(field: string): string {
    const v = this.obj[field];
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
    if (typeof s !== 'string' || !DECIMAL.test(s)) this.fail(field, `expected a non-negative decimal, got ${show(v)}`);
    // Signal math reads prices as numbers: a decimal beyond a double's range would be Infinity there.
    if (s.length > 300 && !Number.isFinite(Number(s))) this.fail(field, `expected a decimal within a double's range, got ${show(s)}`);
    return s;
  }

  /** A decimal strictly greater than zero. */
  positiveDecimal(field: string): string {
    const s = this.decimal(field);
    if (!NONZERO.test(s)) this.fail(field, `expected a positive decimal, got ${show(s)}`);
    return s;
  }

  /** A probability price in [0, 1]. */
  probability(field: string): string {
    const s = this.decimal(field);
    if (Number(s) > 1) this.fail(field, `expected a price between 0 and 1, got ${show(s)}`);
    return s;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const v = this.obj[field];
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(field, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  object(field: string): Fields {
    const v = this.obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, `expected an object, got ${show(v)}`);
    return this.child(v as Obj, `${this.prefix}${field}.`);
  }

  array(field: string): unknown[] {
    const v = this.obj[field];
    if (!Array.isArray(v)) this.fail(field, `expected an array, got ${show(v)}`);
    return v;
  }

  /** Each element of an array field as `Fields` (elements must be objects). */
  objects(field: string): Fields[] {
    return this.array(field).map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) this.fail(`${field}[${i}]`, `expected an object, got ${show(item)}`);
      return this.child(item as Obj, `${this.prefix}${field}[${i}].`);
    });
  }

  /** Readers of nested objects are of the same kind as this one. */
  protected child(obj: Obj, prefix: string): Fields {
    return new Fields(obj, this.where, prefix);
  }

  stringArray(field: string): string[] {
    return this.array(field).map((item, i) => {
      if (typeof item !== 'string') this.fail(`${field}[${i}]`, `expected a string, got ${show(item)}`);
      return item;
    });
  }
}

/**
 * Fields of an event read back from a log: decimals are strings and times numbers, as the writer wrote
 * them. The venues' looser forms (numbers for decimals, strings for times) would pass through
 * unconverted, since a validated line is used as it stands.
 */
class LogFields extends Fields {
  protected override child(obj: Obj, prefix: string): Fields {
    return new LogFields(obj, this.where, prefix);
  }

  override decimal(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string') throw new InputError(this.where, this.prefix + field, `expected a decimal string, got ${show(v)}`);
    return super.decimal(field);
  }

  override timeMs(field: string): number {
    const v = this.obj[field];
    if (typeof v !== 'number') throw new InputError(this.where, this.prefix + field, `expected a time in ms (a number), got ${show(v)}`);
    return super.timeMs(field);
  }
}

/** Parses one JSON line, with an error naming the place when it is not a JSON object. */
export function parseJsonObject(text: string, where: InputLocation): Obj {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw notJson(where, err);
  }
  return jsonObject(value, where);
}

/** The error of `parseJsonObject` for text `JSON.parse` refused with `err`. */
export function notJson(where: InputLocation, err: unknown): InputError {
  return new InputError(where, '(line)', `not valid JSON (${(err as Error).message})`);
}

/** A parsed JSON value as an object, with the error of `parseJsonObject` when it is not one. */
export function jsonObject(value: unknown, where: InputLocation): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(where, '(line)', `expected a JSON object, got ${show(value)}`);
  }
  return value as Obj;
}

function checkLevels(f: Fields, field: string): void {
  for (const level of f.objects(field)) {
    level.decimal('price');
    level.decimal('size');
  }
}

/** What strategies read of a market: id, outcomes with prices and tokens, negRisk, tick and minimum size. */
function checkMarketInfo(m: Fields, where: InputLocation): void {
  m.string('id');
  const outcomes = m.stringArray('outcomes');
  const prices = m.array('outcomePrices');
  prices.forEach((price, i) => {
    if (typeof price !== 'string' || !DECIMAL.test(price) || Number(price) > 1) {
      throw new InputError(where, `${m.prefix}outcomePrices[${i}]`, `expected a price between 0 and 1, got ${show(price)}`);
    }
  });
  const tokens = m.stringArray('tokenIds');
  if (prices.length > 0 && prices.length !== outcomes.length) throw new InputError(where, `${m.prefix}outcomePrices`, `has ${prices.length} prices for ${outcomes.length} outcomes`);
  if (tokens.length > 0 && tokens.length !== outcomes.length) throw new InputError(where, `${m.prefix}tokenIds`, `has ${tokens.length} tokens for ${outcomes.length} outcomes`);
  m.bool('negRisk');
  m.positiveDecimal('tickSize');
  m.decimal('minSize');
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;

/**
 * What `LogFields.positiveDecimal` accepts (`DECIMAL` with a non-zero digit), scanned by hand: about
 * twice as fast as the two regexes on the replay path. A decimal over 300 characters takes the long way.
 */
function isPositiveDecimalString(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const n = v.length;
  if (n === 0 || n > 300) return false;
  let nonZero = false;
  let i = 0;
  if (v.charCodeAt(0) === DIGIT_0) {
    i = 1; // a leading 0 is the whole integer part
  } else {
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < DIGIT_0 || c > DIGIT_9) break;
    }
    if (i === 0) return false;
    nonZero = true; // the integer part starts with 1-9
  }
  if (i === n) return nonZero;
  if (v.charCodeAt(i) !== DOT || i + 1 === n) return false;
  for (i++; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
    if (c !== DIGIT_0) nonZero = true;
  }
  return nonZero;
}

const TRADE_VERSION = eventVersion('trade');

/**
 * True when `obj` is a trade that passes every check below; the common line of a tick file, checked
 * without allocating. Anything else takes the field-by-field path, which names the failing field.
 */
export function isValidTrade(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const obj = value as Obj;
  const ts = obj.ts;
  return (
    obj.type === 'trade' &&
    obj.v === TRADE_VERSION &&
    Number.isSafeInteger(obj.seq) &&
    typeof ts === 'number' &&
    Number.isSafeInteger(ts) &&
    ts >= 0 &&
    typeof obj.symbol === 'string' &&
    Number.isSafeInteger(obj.tradeId) &&
    isPositiveDecimalString(obj.price) &&
    isPositiveDecimalString(obj.qty) &&
    typeof obj.buyerMaker === 'boolean' &&
    (obj.market === undefined || obj.market === 'usdm')
  );
}

/**
 * Checks an event read from a log or tick file: the envelope always, and the body of input events
 * field by field (derived events are re-derived on replay, so only their envelope is checked).
 */
export function validateEvent(obj: Obj, where: InputLocation): AnyEvent {
  return isValidTrade(obj) ? (obj as unknown as TradeEvent) : validateEventFields(obj, where);
}

/** `validateEvent` without the trade fast path: every field read through `LogFields`. */
export function validateEventFields(obj: Obj, where: InputLocation): AnyEvent {
  const f = new LogFields(obj, where);
  const type = f.string('type');
  const version = eventVersion(type);
  if (obj.v !== version) throw new InputError(where, 'v', `expected event version ${version}, got ${show(obj.v)}`);
  f.int('seq');
  f.timeMs('ts');
  if (!isInputType(type)) return obj as unknown as AnyEvent;
  switch (type) {
    case 'trade':
      f.string('symbol');
      f.int('tradeId');
      f.positiveDecimal('price');
      f.positiveDecimal('qty');
      f.bool('buyerMaker');
      if (obj.market !== undefined) f.oneOf('market', ['usdm'] as const);
      break;
    case 'market_definition': {
      f.oneOf('source', ['collector', 'listing', 'gamma'] as const);
      checkMarketInfo(f.object('market'), where);
      f.bool('derivedIds');
      f.oneOf('prices', ['books', 'trades', 'none'] as const);
      if (f.has('windowStartTs')) f.timeMs('windowStartTs');
      if (f.has('asset')) f.string('asset');
      if (f.has('strike')) f.positiveDecimal('strike');
      break;
    }
    case 'market_snapshot':
      for (const m of f.objects('markets')) checkMarketInfo(m, where);
      break;
    case 'book':
      f.string('tokenId');
      checkLevels(f, 'bids');
      checkLevels(f, 'asks');
      break;
    case 'book_delta':
      for (const c of f.objects('changes')) {
        c.string('tokenId');
        c.oneOf('side', ['BUY', 'SELL'] as const);
        c.probability('price');
        c.decimal('size');
      }
      break;
    case 'last_trade':
      f.string('tokenId');
      f.probability('price');
      f.decimal('size');
      break;
    case 'tick_size_change':
      f.string('tokenId');
      f.positiveDecimal('newTickSize');
      break;
    case 'market_resolved':
      f.string('market');
      f.string('winningTokenId');
      break;
    case 'best_bid_ask':
      f.string('tokenId');
      if (f.has('bestBid')) f.probability('bestBid');
      if (f.has('bestAsk')) f.probability('bestAsk');
      break;
    case 'oracle_price':
      f.string('symbol');
      f.positiveDecimal('value');
      break;
    case 'reference_price':
      f.oneOf('source', ['binance_mid', 'clob_history'] as const);
      f.string('symbol');
      f.positiveDecimal('value');
      break;
    case 'llm_answer':
      f.string('key');
      f.string('model');
      f.number('latencyMs');
      // A replay acts on recorded decisions: check what the decision cache reads of them.
      if (f.has('decision')) {
        const d = f.object('decision');
        d.oneOf('action', ['buy_yes', 'buy_no', 'buy_both', 'skip'] as const);
        d.number('confidence');
      } else {
        f.string('error');
      }
      break;
    case 'exchange_fill':
      f.string('orderId');
      f.string('tokenId');
      f.oneOf('side', ['BUY', 'SELL'] as const);
      f.probability('price');
      f.positiveDecimal('size');
      f.decimal('fee');
      if (f.has('tradeId')) f.string('tradeId');
      break;
    case 'order_update':
      f.string('orderId');
      f.string('strategy');
      f.string('tokenId');
      f.string('exchangeOrderId');
      f.oneOf('status', ['submitted', 'accepted', 'rejected', 'cancelled', 'expired', 'filled', 'cancel_submitted', 'not_cancelled'] as const);
      f.string('reason');
      f.string('detail');
      break;
    case 'trade_status':
      f.string('orderId');
      f.string('tokenId');
      f.string('tradeId');
      f.string('status');
      f.bool('booked');
      break;
    case 'redemption':
      f.string('intentId');
      f.string('conditionId');
      f.string('tokenId');
      f.oneOf('status', ['submitted', 'confirmed', 'failed', 'nothing_held'] as const);
      if (obj.txHash !== null) f.string('txHash');
      if (obj.rawTx !== null) f.string('rawTx');
      f.decimal('payout');
      f.string('detail');
      break;
    case 'timer':
      f.string('name');
      break;
    case 'feed_status':
      f.string('feed');
      f.string('status');
      break;
    case 'risk_control':
      f.oneOf('action', ['kill', 'resume', 'reset_losses'] as const);
      f.string('detail');
      break;
  }
  return obj as unknown as InputEvent;
}
