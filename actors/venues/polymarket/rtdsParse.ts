/**
 * Pure decoders of Polymarket RTDS (`wss://ws-live-data.polymarket.com`) Chainlink price messages:
 * `{"topic":"crypto_prices_chainlink","type":"update","timestamp":..,"payload":{"symbol":"btc/usd","timestamp":..,"value":67234.5}}`,
 * and the batch form sent on subscribing, `payload: {"symbol":..,"data":[{"timestamp":..,"value":..}]}`.
 */
import { InputError, type InputLocation, show } from '../../../events/errors';
import { Fields, parseJsonObject } from '../../../events/validate';
import { makeEvent, type OraclePriceEvent } from '../../../events/types';

export const CHAINLINK_TOPIC = 'crypto_prices_chainlink';

/** The subscription: one filtered subscription per pair. */
export function rtdsSubscribeMessage(symbols: readonly string[], action: 'subscribe' | 'unsubscribe' = 'subscribe'): string {
  return JSON.stringify({
    action,
    subscriptions: symbols.map((symbol) => ({ topic: CHAINLINK_TOPIC, type: '*', filters: JSON.stringify({ symbol }) })),
  });
}

/** A price sent as a JSON number, as a plain decimal string (no exponent). */
export function numberToDecimal(v: number): string {
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  // Shift the decimal point of the shortest round-trip digits, so no binary noise is added.
  const digits = m[2] + (m[3] ?? '');
  const point = 1 + Number(m[4]);
  const text = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return m[1] + text;
}

function priceOf(f: Fields, field: string): string {
  const v = f.obj[field];
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return numberToDecimal(v);
  if (typeof v === 'string') return f.positiveDecimal(field);
  throw new InputError(f.where, f.prefix + field, `expected a positive price, got ${show(v)}`);
}

/** Oracle prices in one RTDS frame (empty for other topics and acknowledgements). */
export function parseRtdsFrame(text: string, where: InputLocation): OraclePriceEvent[] {
  const obj = parseJsonObject(text, where);
  if (obj.topic !== CHAINLINK_TOPIC) return [];
  const f = new Fields(obj, where);
  const payload = f.object('payload');
  const symbol = payload.string('symbol').toLowerCase();
  const points = payload.has('data') ? payload.objects('data') : [payload];
  return points.map((p) => makeEvent('oracle_price', p.timeMs('timestamp'), { source: 'chainlink', symbol, value: priceOf(p, 'value') }));
}
