/**
 * Properties of the event-log / tick-file reader (events/log.ts, events/lines.ts) and the event
 * validation (events/validate.ts): damaged events, round trips through EventLogWriter, garbage lines
 * in a real tick file, and a real log cut at every byte offset.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeGammaMarkets } from '../../actors/venues/polymarket/gammaParse';
import { InputError } from '../../events/errors';
import { EventLogWriter, readAllEvents } from '../../events/log';
import { makeEvent, type AnyEvent, type InputEvent } from '../../events/types';
import { validateEvent } from '../../events/validate';
import { fileLines, tempDir } from '../support/binanceRecording';
import { FIXTURES } from '../support/shared';
import { inputEvent } from './eventArbitraries';
import { expectDecimal, expectNamesPlace, expectPositiveDecimal, expectProbability, expectTime, garbage, mutatedSample, params, parse, toJson, trapUnhandledRejections } from './support';

trapUnhandledRejections();

const dir = tempDir('pma-fuzz-log-');
const TICKS = join(__dirname, '../../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
/** The first real trades of the repository's tick file (written by the importer). */
const tickLines = fileLines(TICKS).slice(0, 40);
const twenty = JSON.parse(readFileSync(join(FIXTURES, 'polymarket/twenty_markets.json'), 'utf8')) as unknown;
const realMarkets = decodeGammaMarkets(twenty, { file: 'twenty_markets.json' });

/** Real-shaped events of every input type: real trades and Gamma markets, the rest built around them. */
const samples: InputEvent[] = [
  ...tickLines.slice(0, 10).map((l) => JSON.parse(l) as InputEvent),
  makeEvent('market_snapshot', 1723161255342, { source: 'gamma', request: '/markets?closed=false&limit=100', markets: realMarkets.slice(0, 2) }),
  makeEvent('book', 1723161255342, { source: 'clob_ws', tokenId: realMarkets[0].tokenIds[0], market: realMarkets[0].conditionId, bids: [{ price: '0.11', size: '120.5' }], asks: [{ price: '0.13', size: '40' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: 'bf32b3' }),
  makeEvent('book_delta', 1723161255342, { market: realMarkets[0].conditionId, changes: [{ tokenId: realMarkets[0].tokenIds[0], side: 'SELL', price: '0.514', size: '0' }] }),
  makeEvent('last_trade', 1723161255342, { market: realMarkets[0].conditionId, tokenId: realMarkets[0].tokenIds[0], price: '0.491', size: '85.36', side: 'SELL' }),
  makeEvent('best_bid_ask', 1723161255342, { market: realMarkets[0].conditionId, tokenId: realMarkets[0].tokenIds[0], bestBid: '0.11', bestAsk: null }),
  makeEvent('oracle_price', 1723161255342, { source: 'chainlink', symbol: 'btc/usd', value: '61837.63' }),
  makeEvent('llm_answer', 1723161255342, { key: 'BTC|directional_trend|0.12|0.88', model: 'claude', latencyMs: 812, usage: { inputTokens: 3, outputTokens: 4 }, decision: { action: 'buy_yes', confidence: 72, positionSizePct: 2, orderType: 'limit', limitPrice: '0.12', reasoning: '“momentum”', riskAssessment: 'low', expectedProfitPct: 4.5 }, error: null }),
  makeEvent('exchange_fill', 1723161255342, { orderId: 'o-1', tokenId: realMarkets[0].tokenIds[0], side: 'BUY', price: '0.12', size: '41.66', fee: '0.01' }),
];

/** What the validation lets through must be safe for a strategy: the fields it checks hold their promises. */
function expectSafeInput(e: AnyEvent): void {
  expectTime(e.ts, 'ts');
  switch (e.type) {
    case 'trade':
      expectPositiveDecimal(e.price, 'price');
      expectPositiveDecimal(e.qty, 'qty');
      break;
    case 'market_snapshot':
      for (const m of e.markets) {
        m.outcomePrices.forEach((p, i) => expectProbability(p, `outcomePrices[${i}]`));
        expectPositiveDecimal(m.tickSize, 'tickSize');
        expectDecimal(m.minSize, 'minSize');
      }
      break;
    case 'book':
      for (const l of [...e.bids, ...e.asks]) expectDecimal(l.price, 'price'), expectDecimal(l.size, 'size');
      break;
    case 'book_delta':
      for (const c of e.changes) expectProbability(c.price, 'price'), expectDecimal(c.size, 'size');
      break;
    case 'last_trade':
      expectProbability(e.price, 'price');
      expectDecimal(e.size, 'size');
      break;
    case 'best_bid_ask':
      if (e.bestBid !== null && e.bestBid !== undefined) expectProbability(e.bestBid, 'bestBid');
      if (e.bestAsk !== null && e.bestAsk !== undefined) expectProbability(e.bestAsk, 'bestAsk');
      break;
    case 'oracle_price':
      expectPositiveDecimal(e.value, 'value');
      break;
    case 'exchange_fill':
      expectProbability(e.price, 'price');
      expectPositiveDecimal(e.size, 'size');
      expectDecimal(e.fee, 'fee');
      break;
    case 'llm_answer':
      if (e.decision) expect(Number.isFinite(e.decision.confidence)).toBe(true);
      break;
  }
}

describe('validateEvent', () => {
  it('real-shaped events of every input type, damaged field by field: accepted only when safe, else an InputError naming file, line and field', () => {
    fc.assert(
      fc.property(mutatedSample(samples), fc.nat(100_000), (obj, line) => {
        const out = parse('validateEvent', () => validateEvent(obj as unknown as Record<string, unknown>, { file: 'ticks.jsonl', line }));
        if (!out.ok) return expectNamesPlace(out.error, 'ticks.jsonl', line);
        expectSafeInput(out.value);
      }),
      params(1200),
    );
  });

  // Found by fuzzing: these passed and reached replay as a number price / a string time.
  const trade = JSON.parse(tickLines[0]) as Record<string, unknown>;
  const book = samples.find((e) => e.type === 'book')!;
  it.each([
    ['a trade price written as a JSON number', { ...trade, price: 61837.63 }, 'price'],
    ['a time written as a string', { ...trade, ts: '1723161255342' }, 'ts'],
    ['a book level price written as a JSON number', { ...book, bids: [{ price: 0.11, size: '120.5' }] }, 'bids[0].price'],
  ])('refuses %s (a replayed event is used as it stands, so no conversion would happen)', (_name, obj, field) => {
    const out = parse('validateEvent', () => validateEvent(obj as Record<string, unknown>, { file: 'ticks.jsonl', line: 4 }));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.field).toBe(field);
  });
});

describe('EventLogWriter -> readAllEvents', () => {
  it('valid events of every input type read back equal to what was appended, line for line', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(inputEvent, { minLength: 1, maxLength: 8 }), async (events) => {
        const path = join(dir, `roundtrip-${n++}.jsonl`);
        const writer = EventLogWriter.open(path, { truncate: true });
        const written = events.map((e) => writer.append(structuredClone(e)));
        writer.close();
        const { records, summary } = await readAllEvents(path);
        expect(summary.tornTail).toBeNull();
        expect(records.map((r) => r.event)).toEqual(written);
        expect(records.map((r) => r.event.seq)).toEqual(events.map((_, i) => i + 1));
        expect(records.map((r) => r.line)).toEqual(readFileSync(path, 'utf8').split('\n').slice(0, -1));
        for (const r of records) expectSafeInput(r.event);
      }),
      { ...params(200), timeout: 5000 },
    );
  });

  it('a garbage line in a real tick file is an InputError naming that line (or, when blank, skipped)', async () => {
    let n = 0;
    const junk = fc.oneof(
      garbage.map((v) => (typeof v === 'string' ? v : toJson(v))),
      fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('latin1')),
      mutatedSample(samples).map(toJson),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(tickLines.length), junk, async (at, raw) => {
        const bad = raw.replace(/\n/g, '');
        const lines = [...tickLines.slice(0, at), bad, ...tickLines.slice(at)];
        const path = join(dir, `junk-${n++}.jsonl`);
        writeFileSync(path, lines.join('\n') + '\n');
        const result = await readAllEvents(path).then(
          (r) => ({ ok: true as const, r }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (result.ok) {
          // Only a line that is a valid event (or blank, which is skipped) may pass; every line is kept in order.
          expect(result.r.records.map((r) => r.line)).toEqual(lines.filter((l) => l.length > 0));
          if (bad.length > 0) expectSafeInput(result.r.records[at].event);
          return;
        }
        expect(result.error).toBeInstanceOf(InputError);
        expectNamesPlace(result.error as InputError, path, at + 1);
      }),
      { ...params(300), timeout: 5000 },
    );
  });
});

describe('a real log cut at every byte offset', () => {
  // Real trades, a Gamma snapshot with curly quotes (multi-byte UTF-8) and an LLM answer: cuts land inside characters too.
  const logPath = join(dir, 'real.jsonl');
  const writer = EventLogWriter.open(logPath, { truncate: true });
  for (const line of tickLines.slice(0, 6)) writer.appendLine(line);
  const snapshot = samples.find((e) => e.type === 'market_snapshot')!;
  writer.append(structuredClone({ ...snapshot, markets: snapshot.markets.slice(0, 1).map((m) => ({ ...m, question: `${m.question} “Yes” — ✓` })) }));
  writer.append(structuredClone(samples.find((e) => e.type === 'llm_answer')!));
  writer.close();
  const full = readFileSync(logPath);
  const lineEnds = [...full.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1);
  const fullLines = full.toString('utf8').split('\n').slice(0, -1);

  /** Complete lines before `cut` and where the torn text starts. */
  function expected(cut: number): { lines: string[]; tornAt: number } {
    const complete = lineEnds.filter((end) => end <= cut);
    return { lines: fullLines.slice(0, complete.length), tornAt: complete.length === 0 ? 0 : complete[complete.length - 1] };
  }

  it('the reader returns every complete line before the cut and reports the torn tail, never throwing', async () => {
    const path = join(dir, 'cut.jsonl');
    for (let cut = 0; cut <= full.length; cut++) {
      writeFileSync(path, full.subarray(0, cut));
      const { records, summary } = await readAllEvents(path);
      const { lines, tornAt } = expected(cut);
      expect(records.map((r) => r.line)).toEqual(lines);
      if (tornAt === cut) {
        expect(summary.tornTail).toBeNull();
      } else {
        expect(summary.tornTail).toMatchObject({ line: lines.length + 1, offset: tornAt, bytes: cut - tornAt });
      }
    }
  });

  it('reopening the cut log for writing cuts the torn tail off and continues the sequence (sampled offsets)', () => {
    const path = join(dir, 'reopen.jsonl');
    fc.assert(
      fc.property(fc.nat(full.length), (cut) => {
      writeFileSync(path, full.subarray(0, cut));
      const { lines, tornAt } = expected(cut);
      const w = EventLogWriter.open(path);
      try {
        expect(w.lastSeq).toBe(lines.length);
        if (tornAt === cut) expect(w.tornTail).toBeNull();
        else expect(w.tornTail).toMatchObject({ line: lines.length + 1, offset: tornAt, bytes: cut - tornAt });
        w.append(makeEvent('timer', 1, { name: 'after-restart' }));
      } finally {
        w.close();
      }
      const after = readFileSync(path, 'utf8').split('\n');
      expect(after.slice(0, lines.length)).toEqual(lines);
      expect(JSON.parse(after[lines.length])).toMatchObject({ seq: lines.length + 1, type: 'timer' });
      }),
      params(150),
    );
  });

  it('a gzip tick file cut anywhere: the complete lines before the damage, or an InputError (gzip) naming the file', async () => {
    const gz = gzipSync(full);
    const path = join(dir, 'cut.jsonl.gz');
    await fc.assert(
      fc.asyncProperty(fc.nat(gz.length), async (cut) => {
        writeFileSync(path, gz.subarray(0, cut));
        const got = await readAllEvents(path).then(
          (r) => r,
          (error: unknown) => error,
        );
        if (got instanceof InputError) return expectNamesPlace(got, path);
        if (got instanceof Error) throw got;
        const { records } = got as Awaited<ReturnType<typeof readAllEvents>>;
        expect(fullLines.slice(0, records.length)).toEqual(records.map((r) => r.line));
      }),
      { ...params(60), timeout: 5000 },
    );
  });
});
