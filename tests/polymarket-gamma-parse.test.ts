import { readFileSync } from 'node:fs';
import { InputError } from '../events/errors';
import type { MarketInfo } from '../events/types';
import { validateEvent } from '../events/validate';
import { decodeGammaEvent, decodeGammaEvents, decodeGammaMarkets } from '../actors/venues/polymarket/gammaParse';
import { assembledNegRiskEvent, twentyMarkets } from './support/polymarketServer';
import { describeWithShared } from './support/shared';

type Raw = Record<string, unknown>;
const URL_ = 'http://gamma.test/markets?closed=false&limit=100&offset=0';
const where = { file: URL_ };
const twenty = twentyMarkets;

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('Gamma /markets decoding of the recorded twenty markets (polymarket/agents, MIT)', () => {
  const raw = twenty();
  const markets = decodeGammaMarkets(raw, where);

  it('decodes every market, in order, with the values of the raw JSON', () => {
    expect(markets.map((m) => m.id)).toEqual(raw.map((r) => r.id));
    raw.forEach((r, i) => {
      const m = markets[i];
      expect(m.conditionId).toBe(r.conditionId);
      expect(m.outcomes).toEqual(JSON.parse(r.outcomes as string));
      expect(m.outcomePrices).toEqual(JSON.parse(r.outcomePrices as string));
      expect(m.tokenIds).toEqual(JSON.parse(r.clobTokenIds as string));
      expect(Number(m.tickSize)).toBe(r.orderPriceMinTickSize);
      expect(Number(m.minSize)).toBe(r.orderMinSize);
      expect(m.endTs).toBe(new Date(r.endDate as string).getTime());
      expect(m.active).toBe(r.active);
      expect(m.closed).toBe(r.closed);
      expect(m.acceptingOrders).toBe(r.acceptingOrders);
      expect(m.groupItemTitle).toBe(r.groupItemTitle === '' ? null : r.groupItemTitle);
    });
  });

  it('reads negRisk as recorded (12 of 20 true) and never guesses a missing flag', () => {
    expect(markets.filter((m) => m.negRisk).length).toBe(12);
    raw.forEach((r, i) => {
      if (r.negRisk === undefined || r.negRisk === null) {
        expect(markets[i].negRisk).toBe(false);
        expect(markets[i].defaulted).toContain('negRisk');
      } else {
        expect(markets[i].negRisk).toBe(r.negRisk);
        expect(markets[i].defaulted ?? []).not.toContain('negRisk');
      }
      expect(markets[i].negRiskMarketId).toBe(r.negRiskMarketID ?? null);
    });
  });

  it('shows the fee fields these 2024 records lack as neutral and defaulted, not as a guessed fee', () => {
    for (const m of markets) {
      expect(m.feesEnabled).toBe(false);
      expect(m.feeSchedule).toBeNull();
      expect(m.defaulted).toEqual(expect.arrayContaining(['feesEnabled', 'feeSchedule', 'bestBid', 'bestAsk']));
    }
  });

  it('gives the same result when the list fields arrive as arrays instead of JSON strings', () => {
    const asArrays = raw.map((r) => ({ ...r, outcomes: JSON.parse(r.outcomes as string), outcomePrices: JSON.parse(r.outcomePrices as string), clobTokenIds: JSON.parse(r.clobTokenIds as string) }));
    expect(decodeGammaMarkets(asArrays, where)).toEqual(markets);
  });

  it('produces markets a market_snapshot event validates with', () => {
    const event = { v: 1, seq: 1, ts: 1, type: 'market_snapshot', source: 'gamma', request: '/markets', markets };
    expect(() => validateEvent(JSON.parse(JSON.stringify(event)), { file: 'x' })).not.toThrow();
  });
});

describe('Gamma decoding: fees, flags and malformed fields', () => {
  const base = (): Raw => ({ ...twenty()[1] });

  it('reads feesEnabled and the fee schedule when present', () => {
    const r = { ...base(), feesEnabled: true, feeSchedule: { exponent: 1, rate: 0.07, takerOnly: true, rebateRate: 0.15 }, bestBid: 0.48, bestAsk: '0.5' };
    const [m] = decodeGammaMarkets([r], where);
    expect(m.feesEnabled).toBe(true);
    expect(m.feeSchedule).toEqual({ rate: '0.07', exponent: 1, takerOnly: true });
    expect([m.bestBid, m.bestAsk]).toEqual(['0.48', '0.5']);
    expect(m.defaulted ?? []).not.toEqual(expect.arrayContaining(['feesEnabled']));
  });

  it('keeps feesEnabled true with a null schedule visible when the schedule is missing', () => {
    const [m] = decodeGammaMarkets([{ ...base(), feesEnabled: true }], where);
    expect(m.feesEnabled).toBe(true);
    expect(m.feeSchedule).toBeNull();
    expect(m.defaulted).toContain('feeSchedule');
  });

  const cases: [string, Raw, string][] = [
    ['negRisk not a boolean', { negRisk: 'yes' }, '[2].negRisk'],
    ['outcomes not JSON', { outcomes: '["Yes", "No"' }, '[2].outcomes'],
    ['price above 1', { outcomePrices: '["0.5", "1.5"]' }, '[2].outcomePrices[1]'],
    ['prices do not match outcomes', { outcomePrices: '["0.5"]' }, '[2].outcomePrices'],
    ['token count does not match outcomes', { clobTokenIds: '["1"]' }, '[2].clobTokenIds'],
    ['fee schedule without rate', { feeSchedule: { exponent: 1, takerOnly: true } }, '[2].feeSchedule.rate'],
    ['end date not a time', { endDate: 'soon' }, '[2].endDate'],
    ['tick size missing', { orderPriceMinTickSize: undefined }, '[2].orderPriceMinTickSize'],
  ];
  it.each(cases)('%s: InputError names the URL and the field with the market index', (_name, patch, field) => {
    const list = twenty().slice(0, 3);
    list[2] = { ...list[2], ...patch };
    const err = thrown(() => decodeGammaMarkets(list, where));
    expect(err.field).toBe(field);
    expect(err.message).toContain(URL_);
  });

  it('rejects a body that is not a list', () => {
    expect(thrown(() => decodeGammaMarkets({ error: 'x' }, where)).field).toBe('(body)');
  });
});

describe('Gamma /events and /events/slug decoding', () => {
  it('flattens an event, inheriting negRiskMarketID and negRiskAugmented from it', () => {
    const event = assembledNegRiskEvent();
    const legs = event.markets as Raw[];
    for (const body of [[event], event]) {
      const markets: MarketInfo[] = Array.isArray(body) ? decodeGammaEvents(body, where) : decodeGammaEvent(body, where);
      expect(markets.map((m) => m.id)).toEqual(legs.map((l) => l.id));
      expect(new Set(markets.map((m) => m.negRiskMarketId))).toEqual(new Set([event.negRiskMarketID]));
      expect(markets.every((m) => m.negRisk && !m.negRiskAugmented)).toBe(true);
      expect(markets.every((m) => !(m.defaulted ?? []).includes('negRiskAugmented'))).toBe(true);
    }
  });

  it('marks an augmented event on every market', () => {
    const markets = decodeGammaEvent({ ...assembledNegRiskEvent(), negRiskAugmented: true }, where);
    expect(markets.every((m) => m.negRiskAugmented)).toBe(true);
  });

  it('names the event and market index of a malformed leg', () => {
    const event = assembledNegRiskEvent();
    (event.markets as Raw[])[1].acceptingOrders = 'true';
    expect(thrown(() => decodeGammaEvents([event], where)).field).toBe('[0].markets[1].acceptingOrders');
  });
});

describeWithShared(
  'Gamma decoding of nautilus_trader recordings (LGPL, read from ../shared)',
  ['polymarket/nautilus_trader/gamma/gamma_event.json', 'polymarket/nautilus_trader/gamma/gamma_market.json'],
  ([eventPath, marketPath]) => {
    it('reads an augmented negRisk event (negRiskAugmented from the event, not the legs)', () => {
      const raw = JSON.parse(readFileSync(eventPath, 'utf8')) as Raw[];
      const markets = decodeGammaEvents(raw, { file: eventPath });
      const rawLegs = raw[0].markets as Raw[];
      expect(markets.map((m) => m.id)).toEqual(rawLegs.map((l) => l.id));
      expect(markets.every((m) => m.negRiskAugmented === raw[0].negRiskAugmented)).toBe(true);
      expect(markets.map((m) => m.negRiskMarketId)).toEqual(rawLegs.map((l) => l.negRiskMarketID));
      expect(markets.map((m) => m.bestAsk)).toEqual(rawLegs.map((l) => String(l.bestAsk)));
      expect(markets.map((m) => m.groupItemTitle)).toEqual(rawLegs.map((l) => l.groupItemTitle));
    });

    it('reads a 5-minute Up/Down market with fees enabled but no schedule, leaving the schedule null', () => {
      const raw = JSON.parse(readFileSync(marketPath, 'utf8')) as Raw;
      const [m] = decodeGammaMarkets([raw], { file: marketPath });
      expect(m.outcomes).toEqual(['Up', 'Down']);
      expect(m.tokenIds).toEqual(JSON.parse(raw.clobTokenIds as string));
      expect(m.feesEnabled).toBe(raw.feesEnabled);
      expect(m.feeSchedule).toBeNull();
      expect(m.defaulted).toContain('feeSchedule');
      expect(m.negRiskAugmented).toBe((raw.events as Raw[])[0].negRiskAugmented);
      expect([m.bestBid, m.bestAsk]).toEqual([String(raw.bestBid), String(raw.bestAsk)]);
    });
  },
);
