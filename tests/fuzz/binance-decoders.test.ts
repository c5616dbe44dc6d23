/**
 * Properties of the Binance decoders (actors/venues/binance/parse.ts, importers/csv.ts,
 * importers/lineDecoders.ts) over real frames damaged field by field and as text, and random bytes.
 */
import fc from 'fast-check';
import { decodeCsvTrade, detectCsv, detectFormat, makeLineDecoder, symbolFromFileName, type CsvLayout } from '../../actors/venues/binance/importers';
import { SkipTrade, decodeFrame } from '../../actors/venues/binance/parse';
import type { TradeEvent } from '../../events/types';
import { parseJsonObject } from '../../events/validate';
import { aggTradePayloads, csvAggRows, csvTradeRows, jsonlRecords, recordedFrames, recordingLines, tradePayloads } from './binanceSamples';
import {
  expectNamesPlace,
  expectPositiveDecimal,
  expectTime,
  fieldMutation,
  garbage,
  mutate,
  mutateText,
  mutatedJsonText,
  mutatedSample,
  params,
  parse,
  textMutation,
  toJson,
  trapUnhandledRejections,
} from './support';

trapUnhandledRejections();

const URL = 'wss://stream.binance.com:9443/stream';
type Json = Record<string, unknown>;

/** What reaches the signal streams: a positive price and quantity as plain decimal strings. */
function expectTrade(t: TradeEvent): void {
  expect(t.type).toBe('trade');
  expect(t.venue).toBe('binance');
  expectPositiveDecimal(t.price, 'price');
  expectPositiveDecimal(t.qty, 'qty');
  expectTime(t.ts, 'ts');
  expect(Number.isSafeInteger(t.tradeId)).toBe(true);
  expect(typeof t.symbol).toBe('string');
  expect(t.symbol.length).toBeGreaterThan(0);
  expect(t.symbol).toBe(t.symbol.toUpperCase());
  expect(typeof t.buyerMaker).toBe('boolean');
}

/** A naive reading of a payload the decoder accepted: the fields as they stand, numbers as their text. */
function naive(data: Json, streamSymbol: string | undefined): Omit<TradeEvent, 'v' | 'seq' | 'type' | 'venue'> {
  const text = (v: unknown): unknown => (typeof v === 'number' ? String(v) : v);
  const isAgg = data.e === 'aggTrade' || (data.e === undefined && data.a !== undefined);
  return {
    ts: Number(data.T),
    symbol: data.s !== undefined ? String(data.s).toUpperCase() : (streamSymbol as string),
    tradeId: (isAgg ? data.a : data.t) as number,
    price: text(data.p) as string,
    qty: text(data.q) as string,
    buyerMaker: data.m as boolean,
  };
}

function streamSymbol(frame: Json): string | undefined {
  return typeof frame.stream === 'string' ? frame.stream.slice(0, frame.stream.indexOf('@')).toUpperCase() : undefined;
}

/** One websocket frame through the live adapter's path: JSON text -> object -> decodeFrame. */
function checkFrameText(text: string, line: number): void {
  const where = { file: URL, line };
  const obj = parse('parseJsonObject', () => parseJsonObject(text, where));
  if (!obj.ok) return expectNamesPlace(obj.error, URL, line);
  checkFrameObject(obj.value, line);
}

function checkFrameObject(frame: Json, line: number): void {
  const where = { file: URL, line };
  let out;
  try {
    out = parse('decodeFrame', () => decodeFrame(frame, where, 'XRPETH'));
  } catch (err) {
    if (err instanceof SkipTrade) return; // counted by the adapter as ignored
    throw err;
  }
  if (!out.ok) return expectNamesPlace(out.error, URL, line);
  const { trade } = out.value;
  if (trade === null) return;
  expectTrade(trade);
  const data = (typeof frame.stream === 'string' ? frame.data : frame) as Json;
  expect(trade).toMatchObject(naive(data, streamSymbol(frame) ?? 'XRPETH'));
}

describe('decodeFrame (live feed and JSON-lines importer)', () => {
  it('real frames of every stream, damaged field by field and as text: a trade that passes every check, or an InputError naming the URL, line and field', () => {
    fc.assert(
      fc.property(mutatedJsonText(recordedFrames), fc.nat(1_000_000), (text, line) => checkFrameText(text, line)),
      params(1200),
    );
  });

  it('bare @trade / aggTrade payloads damaged in the object itself (NaN, Infinity, undefined included)', () => {
    fc.assert(
      fc.property(mutatedSample([...tradePayloads, ...aggTradePayloads]), (obj) => checkFrameObject(obj, 7)),
      params(1200),
    );
  });

  it('random bytes and arbitrary JSON objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), fc.jsonValue().map(toJson), fc.object().map((o) => toJson(o))), (text) =>
        checkFrameText(text, 1),
      ),
      params(800),
    );
  });

  it('a price beyond a double is refused (found by fuzzing: 400 nines passed and were Infinity in the signal math)', () => {
    const out = parse('decodeFrame', () => decodeFrame({ ...tradePayloads[0], p: '9'.repeat(400) }, { file: URL, line: 2 }));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.field).toBe('p');
    // The largest double written out in full (309 digits) is still a price the streams can read.
    const max = BigInt(Number.MAX_VALUE).toString();
    const ok = decodeFrame({ ...tradePayloads[0], p: max }, { file: URL, line: 3 }).trade!;
    expect(Number(ok.price)).toBe(Number.MAX_VALUE);
  });

  const decimal = fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.nat({ max: 8 }), fc.bigInt({ min: 1n, max: 10n ** 8n }))
    .map(([int, dp, frac]) => (dp === 0 ? `${int + 1n}` : `${int}.${frac.toString().padStart(8, '0').slice(-dp).padStart(dp, '0')}`))
    .filter((s) => /[1-9]/.test(s));

  it('a valid frame decodes to the same values as a reference decoder written here', () => {
    fc.assert(
      fc.property(
        fc.record({
          symbol: fc.stringMatching(/^[a-z0-9]{2,12}$/),
          id: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
          price: decimal,
          qty: decimal,
          time: fc.nat({ max: 4102444800000 }),
          maker: fc.boolean(),
          agg: fc.boolean(),
          combined: fc.boolean(),
        }),
        (r) => {
          const body = r.agg
            ? { e: 'aggTrade', E: r.time + 5, s: r.symbol.toUpperCase(), a: r.id, p: r.price, q: r.qty, f: 1, l: 2, T: r.time, m: r.maker, M: true }
            : { e: 'trade', E: r.time + 5, s: r.symbol.toUpperCase(), t: r.id, p: r.price, q: r.qty, T: r.time, m: r.maker, M: true };
          const frame = r.combined ? { stream: `${r.symbol}@${r.agg ? 'aggTrade' : 'trade'}`, data: body } : body;
          const decoded = decodeFrame(parseJsonObject(JSON.stringify(frame), { file: URL, line: 1 }), { file: URL, line: 1 });
          expect(decoded.kind).toBe('trade');
          // Reference: read straight from the generated values.
          expect(decoded.trade).toEqual({
            v: 1,
            seq: 0,
            ts: r.time,
            type: 'trade',
            venue: 'binance',
            symbol: r.symbol.toUpperCase(),
            tradeId: r.id,
            price: r.price,
            qty: r.qty,
            buyerMaker: r.maker,
          });
        },
      ),
      params(800),
    );
  });
});

describe('importer line decoders (recording, JSON lines)', () => {
  /** Every line that looks like a trade is decoded or reported, never dropped without a count. */
  function checkLine(format: 'recording' | 'jsonl', first: string, line: string): void {
    const file = format === 'recording' ? 'btcusdt_20240808.gz' : 'BTCUSDT-trades.jsonl';
    const where = { file, line: 3 };
    const decode = makeLineDecoder(format, first, 'BTCUSDT', file);
    const out = parse('line decoder', () => decode(line, where));
    if (!out.ok) return expectNamesPlace(out.error, file, 3);
    const { kind, trade, error } = out.value;
    if (error) {
      if (!(error instanceof SkipTrade)) expectNamesPlace(error, file, 3);
      expect(trade).toBeNull();
      return;
    }
    if (kind === 'trade' || kind === 'aggTrade') {
      if (trade === null) throw new Error(`line counted as ${kind} but neither decoded nor reported: ${line.slice(0, 200)}`);
    }
    if (trade) expectTrade(trade);
  }

  it('recorded `<ns> <frame>` lines, damaged: decoded, counted as another kind, or reported with file, line and field', () => {
    const damaged = fc
      .tuple(fc.nat(recordingLines.length - 1), fc.array(fieldMutation, { maxLength: 3 }), textMutation)
      .map(([i, ms, tm]) => {
        const line = recordingLines[i];
        const space = line.indexOf(' ');
        const frame = mutate(JSON.parse(line.slice(space + 1)) as Json, ms);
        return mutateText(`${line.slice(0, space)} ${toJson(frame)}`, tm, frame);
      });
    fc.assert(
      fc.property(damaged, (line) => checkLine('recording', recordingLines[0], line)),
      params(1200),
    );
  });

  it('JSON lines (frames, bare @trade and aggTrade payloads), damaged', () => {
    fc.assert(
      fc.property(mutatedJsonText(jsonlRecords), (line) => checkLine('jsonl', '{}', line)),
      params(1200),
    );
  });

  it('a trade-looking line that is no trade is reported (found by fuzzing: it was dropped uncounted)', () => {
    // kindOf says "trade" (a `t` field, or a stream named ...@trade...) but decodeFrame found none.
    const lines = [
      JSON.stringify({ ...tradePayloads[0], e: 5 }),
      JSON.stringify({ stream: 'trade', data: tradePayloads[0] }),
      JSON.stringify({ stream: 'btcusdt@trade_x', data: tradePayloads[0] }),
    ];
    for (const line of lines) checkLine('jsonl', '{}', line);
  });
});

describe('CSV decoder', () => {
  const layoutOf = (agg: boolean): CsvLayout => (agg ? 'aggTrades' : 'trades');

  /** A row the decoder accepted holds exactly these values (split by hand). */
  function expectRowValues(t: TradeEvent, row: string, agg: boolean): void {
    const cols = row.split(',');
    const time = cols[agg ? 5 : 4];
    expect(t.tradeId).toBe(Number(cols[0]));
    expect(t.price).toBe(cols[1]);
    expect(t.qty).toBe(cols[2]);
    expect(t.ts).toBe(time.length === 16 ? Math.floor(Number(time) / 1000) : Number(time));
    expect(t.buyerMaker).toBe(cols[agg ? 6 : 5].trim().toLowerCase() === 'true');
  }

  const column = fc.oneof(garbage.map((v) => String(v)), fc.string({ unit: 'binary', maxLength: 12 }));
  const damagedRow = fc
    .tuple(fc.boolean(), fc.nat(), fc.array(fc.tuple(fc.nat(8), fc.constantFrom('replace', 'drop', 'add'), column), { maxLength: 3 }), textMutation)
    .map(([agg, i, edits, tm]) => {
      const rows = agg ? csvAggRows : csvTradeRows;
      const cols = rows[i % rows.length].split(',');
      for (const [at, op, value] of edits) {
        const k = at % (cols.length + 1);
        if (op === 'replace') cols[Math.min(k, cols.length - 1)] = value;
        else if (op === 'drop') cols.splice(k, 1);
        else cols.splice(k, 0, value);
      }
      const text = cols.join(',');
      return { agg, row: tm.op === 'duplicateKey' ? text : mutateText(text, tm) };
    });

  it('real rows damaged column by column: the row values, or an InputError naming the file, line and field', () => {
    fc.assert(
      fc.property(damagedRow, ({ agg, row }) => {
        const out = parse('decodeCsvTrade', () => decodeCsvTrade(row, layoutOf(agg), 'BTCUSDT', { file: 'BTCUSDT-trades.csv', line: 9 }));
        if (!out.ok) return expectNamesPlace(out.error, 'BTCUSDT-trades.csv', 9);
        expectTrade(out.value);
        expectRowValues(out.value, row, agg);
      }),
      params(1200),
    );
  });

  it('format detection never throws on any first line', () => {
    fc.assert(
      fc.property(fc.oneof(damagedRow.map((r) => r.row), fc.string({ unit: 'binary' }), mutatedJsonText(recordedFrames)), (line) => {
        parse('detectFormat', () => detectFormat(line));
        parse('detectCsv', () => detectCsv(line));
        parse('symbolFromFileName', () => symbolFromFileName(line));
      }),
      params(800),
    );
  });
});
