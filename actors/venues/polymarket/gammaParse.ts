/**
 * Pure decoders of Gamma API responses (`/markets`, `/events`, `/events/slug/{slug}`) into
 * `MarketInfo`. No I/O. Rules:
 * - `outcomes`, `outcomePrices`, `clobTokenIds` may be JSON-encoded strings or arrays.
 * - A missing optional field gets its documented neutral value and is listed in `defaulted`
 *   (never a guessed negRisk flag or fee): negRisk false, negRiskAugmented false, feesEnabled false,
 *   feeSchedule null, active/acceptingOrders false, closed false, bestBid/bestAsk/endTs null.
 * - Fields with no neutral value (id, conditionId, question, outcomes, tick size, minimum size) are
 *   required. Anything present but malformed is an `InputError` naming the URL and the field,
 *   prefixed with the market's index (`[3].negRisk`, `[0].markets[2].outcomePrices[1]`).
 */
import { InputError, type InputLocation, show } from '../../../events/errors';
import type { Decimal, FeeSchedule, MarketInfo } from '../../../events/types';
import { Fields, type Obj } from '../../../events/validate';

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** What a market inherits from the event that holds it. */
export interface EventContext {
  negRisk: boolean | null;
  negRiskMarketId: string | null;
  negRiskAugmented: boolean | null;
}

/** `/markets` answers a JSON array of markets. */
export function decodeGammaMarkets(body: unknown, where: InputLocation): MarketInfo[] {
  return asObjectArray(body, where, '').map((obj, i) => decodeGammaMarket(new Fields(obj, where, `[${i}].`), null));
}

/** `/events` answers a JSON array of events, each with `markets[]`; the markets are returned flat. */
export function decodeGammaEvents(body: unknown, where: InputLocation): MarketInfo[] {
  return asObjectArray(body, where, '').flatMap((obj, i) => marketsOfEvent(new Fields(obj, where, `[${i}].`)));
}

/** `/events/slug/{slug}` answers one event object (some recordings wrap it in an array of one). */
export function decodeGammaEvent(body: unknown, where: InputLocation): MarketInfo[] {
  if (Array.isArray(body)) return decodeGammaEvents(body, where);
  if (typeof body !== 'object' || body === null) throw new InputError(where, '(body)', `expected an event object, got ${show(body)}`);
  return marketsOfEvent(new Fields(body as Obj, where));
}

function marketsOfEvent(event: Fields): MarketInfo[] {
  const ctx = eventContext(event);
  return event.objects('markets').map((m) => decodeGammaMarket(m, ctx));
}

export function eventContext(event: Fields): EventContext {
  return {
    negRisk: event.has('negRisk') ? event.bool('negRisk') : null,
    negRiskMarketId: optNonEmptyString(event, 'negRiskMarketID'),
    negRiskAugmented: event.has('negRiskAugmented') ? event.bool('negRiskAugmented') : null,
  };
}

/**
 * One Gamma market object. `ctx` is the containing event for `/events` answers; for `/markets`
 * answers the market's own `events[0]` (when present) plays that part.
 */
export function decodeGammaMarket(m: Fields, ctx: EventContext | null): MarketInfo {
  const defaulted: string[] = [];
  const event = ctx ?? (m.has('events') ? firstEventContext(m) : null);

  const outcomes = stringList(m, 'outcomes', true);
  if (outcomes.length === 0) fail(m, 'outcomes', 'expected at least one outcome');
  const outcomePrices = stringList(m, 'outcomePrices', false).map((p, i) => priceAt(m, 'outcomePrices', i, p));
  const tokenIds = stringList(m, 'clobTokenIds', false);
  if (outcomePrices.length > 0 && outcomePrices.length !== outcomes.length) fail(m, 'outcomePrices', `has ${outcomePrices.length} prices for ${outcomes.length} outcomes`);
  if (tokenIds.length > 0 && tokenIds.length !== outcomes.length) fail(m, 'clobTokenIds', `has ${tokenIds.length} tokens for ${outcomes.length} outcomes`);
  if (!m.has('outcomePrices')) defaulted.push('outcomePrices');
  if (!m.has('clobTokenIds')) defaulted.push('clobTokenIds');

  const negRisk = m.has('negRisk') ? m.bool('negRisk') : event?.negRisk ?? neutral(defaulted, 'negRisk', false);
  const negRiskMarketId = optNonEmptyString(m, 'negRiskMarketID') ?? event?.negRiskMarketId ?? null;
  const negRiskAugmented = event?.negRiskAugmented ?? (m.has('negRiskAugmented') ? m.bool('negRiskAugmented') : neutral(defaulted, 'negRiskAugmented', false));
  if (negRisk && negRiskMarketId === null) defaulted.push('negRiskMarketID');

  const feesEnabled = m.has('feesEnabled') ? m.bool('feesEnabled') : neutral(defaulted, 'feesEnabled', false);
  const feeSchedule = m.has('feeSchedule') ? decodeFeeSchedule(m.object('feeSchedule')) : neutral(defaulted, 'feeSchedule', null);

  const info: MarketInfo = {
    id: idString(m, 'id'),
    conditionId: m.string('conditionId'),
    slug: m.has('slug') ? m.string('slug') : neutral(defaulted, 'slug', ''),
    question: m.string('question'),
    outcomes,
    outcomePrices,
    tokenIds,
    negRisk,
    negRiskMarketId,
    negRiskAugmented,
    tickSize: m.positiveDecimal('orderPriceMinTickSize'),
    minSize: m.decimal('orderMinSize'),
    feesEnabled,
    feeSchedule,
    endTs: m.has('endDate') ? isoTime(m, 'endDate') : neutral(defaulted, 'endDate', null),
    active: m.has('active') ? m.bool('active') : neutral(defaulted, 'active', false),
    closed: m.has('closed') ? m.bool('closed') : neutral(defaulted, 'closed', false),
    acceptingOrders: m.has('acceptingOrders') ? m.bool('acceptingOrders') : neutral(defaulted, 'acceptingOrders', false),
    bestBid: m.has('bestBid') ? m.probability('bestBid') : neutral(defaulted, 'bestBid', null),
    bestAsk: m.has('bestAsk') ? m.probability('bestAsk') : neutral(defaulted, 'bestAsk', null),
    groupItemTitle: optNonEmptyString(m, 'groupItemTitle'),
  };
  if (defaulted.length > 0) info.defaulted = defaulted;
  return info;
}

/** `{"exponent":1,"rate":0.05,"takerOnly":true,"rebateRate":0.15}`: rate, exponent and takerOnly are required. */
export function decodeFeeSchedule(f: Fields): FeeSchedule {
  const exponent = f.number('exponent');
  return { rate: f.decimal('rate'), exponent, takerOnly: f.bool('takerOnly') };
}

function neutral<T>(defaulted: string[], field: string, value: T): T {
  defaulted.push(field);
  return value;
}

function fail(f: Fields, field: string, problem: string): never {
  throw new InputError(f.where, f.prefix + field, problem);
}

function firstEventContext(m: Fields): EventContext | null {
  const events = m.objects('events');
  return events.length > 0 ? eventContext(events[0]) : null;
}

/** Gamma ids are strings ("503051"); an integer is accepted as its decimal string. */
function idString(f: Fields, field: string): string {
  const v = f.obj[field];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return f.string(field);
}

function optNonEmptyString(f: Fields, field: string): string | null {
  const s = f.optString(field);
  return s === null || s === '' ? null : s;
}

/** A list that arrives either as an array or as a JSON-encoded string of one. Missing: [] unless required. */
function stringList(f: Fields, field: string, required: boolean): string[] {
  if (!f.has(field)) {
    if (required) fail(f, field, 'missing');
    return [];
  }
  let v = f.obj[field];
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      fail(f, field, `expected a JSON array (or a string holding one), got ${show(f.obj[field])}`);
    }
  }
  if (!Array.isArray(v)) fail(f, field, `expected a JSON array (or a string holding one), got ${show(f.obj[field])}`);
  return v.map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' && Number.isFinite(item)) return String(item);
    return fail(f, `${field}[${i}]`, `expected a string, got ${show(item)}`);
  });
}

function priceAt(f: Fields, field: string, i: number, p: string): Decimal {
  if (!DECIMAL.test(p) || Number(p) > 1) fail(f, `${field}[${i}]`, `expected a price between 0 and 1, got ${show(p)}`);
  return p;
}

function isoTime(f: Fields, field: string): number {
  const s = f.string(field);
  const ms = ISO_TIME.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(ms)) fail(f, field, `expected an ISO 8601 time, got ${show(s)}`);
  return ms;
}

function asObjectArray(body: unknown, where: InputLocation, field: string): Obj[] {
  if (!Array.isArray(body)) throw new InputError(where, field || '(body)', `expected a JSON array, got ${show(body)}`);
  return body.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new InputError(where, `[${i}]`, `expected an object, got ${show(item)}`);
    return item as Obj;
  });
}
