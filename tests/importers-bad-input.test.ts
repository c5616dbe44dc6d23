import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { importTicks, type SkipReason } from '../actors/venues/binance/importers';
import { InputError } from '../events/errors';
import { FIXTURES } from './support/shared';
import { fileLines, readTicks, recordedTrades, strip, tempDir, tradeOf, type ExpectedTrade } from './support/binanceRecording';

const dir = tempDir('pma-import-bad-');
// 50 real ETHUSDT trade lines (`<ns> {"stream":"ethusdt@trade","data":{...}}`).
const base = fileLines(join(FIXTURES, 'binance/ethusdt_20240808.head300.trades.txt')).slice(0, 50);
const baseTrades = recordedTrades(base);

type Data = Record<string, unknown>;
function editData(line: string, edit: (d: Data) => void): string {
  const space = line.indexOf(' ');
  const frame = JSON.parse(line.slice(space + 1)) as { stream: string; data: Data };
  edit(frame.data);
  return `${line.slice(0, space)} ${JSON.stringify(frame)}`;
}

function withLine(k: number, line: string): string[] {
  return base.map((l, i) => (i === k - 1 ? line : l));
}

const bool = (b: boolean): string => (b ? 'true' : 'false');
const csvRow = (t: ExpectedTrade): string => [t.tradeId, t.price, t.qty, '0', t.ts, bool(t.buyerMaker)].join(',');
const csvBase = ['id,price,qty,quote_qty,time,is_buyer_maker', ...baseTrades.map(csvRow)];
function withCsvRow(k: number, row: string): string[] {
  return csvBase.map((l, i) => (i === k - 1 ? row : l));
}
const K = 20; // the damaged line (CSV: line K is trade K - 1, after the header)
const t = baseTrades[K - 1];
const tc = baseTrades[K - 2];

interface Case {
  name: string;
  file: string;
  lines: string[];
  /** Line the error must name. */
  line: number;
  field: string;
  reason: SkipReason;
  /** The trades a lenient import must write: every good one, nothing else. */
  good: ExpectedTrade[];
}

const without = (trade: ExpectedTrade): ExpectedTrade[] => baseTrades.filter((x) => x !== trade);

const cases: Case[] = [
  { name: 'malformed JSON', file: 'ethusdt_cut.txt', lines: withLine(K, base[K - 1].slice(0, 70)), line: K, field: '(line)', reason: 'malformed_json', good: without(t) },
  { name: 'line without the local-time prefix', file: 'ethusdt_noprefix.txt', lines: withLine(K, base[K - 1].slice(base[K - 1].indexOf(' ') + 1)), line: K, field: '(line)', reason: 'malformed_line', good: without(t) },
  { name: 'non-numeric price', file: 'ethusdt_price.txt', lines: withLine(K, editData(base[K - 1], (d) => (d.p = 'abc'))), line: K, field: 'p', reason: 'bad_price', good: without(t) },
  { name: 'negative quantity', file: 'ethusdt_negq.txt', lines: withLine(K, editData(base[K - 1], (d) => (d.q = `-${d.q as string}`))), line: K, field: 'q', reason: 'bad_qty', good: without(t) },
  { name: 'zero quantity', file: 'ethusdt_zeroq.txt', lines: withLine(K, editData(base[K - 1], (d) => (d.q = '0.00000000'))), line: K, field: 'q', reason: 'bad_qty', good: without(t) },
  { name: 'time going backwards', file: 'ethusdt_back.txt', lines: withLine(K, editData(base[K - 1], (d) => (d.T = baseTrades[K - 2].ts - 1000))), line: K, field: 'T', reason: 'time_backwards', good: without(t) },
  { name: 'duplicate trade id', file: 'ethusdt_dup.txt', lines: [...base.slice(0, K), base[K - 1], ...base.slice(K)], line: K + 1, field: 't', reason: 'duplicate_id', good: baseTrades },
  { name: 'CSV: wrong number of columns', file: 'ETHUSDT-cols.csv', lines: withCsvRow(K, csvRow(tc).split(',').slice(0, 5).join(',')), line: K, field: '(columns)', reason: 'wrong_columns', good: without(tc) },
  { name: 'CSV: wrong header', file: 'ETHUSDT-header.csv', lines: ['id,qty,price,quote_qty,time,is_buyer_maker', ...csvBase.slice(1)], line: 1, field: '(columns)', reason: 'wrong_columns', good: baseTrades },
  { name: 'CSV: non-numeric price', file: 'ETHUSDT-price.csv', lines: withCsvRow(K, csvRow({ ...tc, price: 'NaN' })), line: K, field: 'price', reason: 'bad_price', good: without(tc) },
  { name: 'CSV: negative quantity', file: 'ETHUSDT-negq.csv', lines: withCsvRow(K, csvRow({ ...tc, qty: `-${tc.qty}` })), line: K, field: 'qty', reason: 'bad_qty', good: without(tc) },
  { name: 'CSV: time going backwards', file: 'ETHUSDT-back.csv', lines: withCsvRow(K, csvRow({ ...tc, ts: baseTrades[K - 3].ts - 1 })), line: K, field: 'time', reason: 'time_backwards', good: without(tc) },
  { name: 'CSV: duplicate trade id', file: 'ETHUSDT-dup.csv', lines: withCsvRow(K, csvRow({ ...tc, tradeId: baseTrades[K - 3].tradeId })), line: K, field: 'id', reason: 'duplicate_id', good: without(tc) },
  { name: 'CSV: not a boolean side', file: 'ETHUSDT-side.csv', lines: withCsvRow(K, csvRow(tc).replace(/,(true|false)$/, ',maybe')), line: K, field: 'is_buyer_maker', reason: 'bad_side', good: without(tc) },
];

describe.each(cases)('$name', ({ file, lines, line, field, reason, good }) => {
  const path = join(dir, file);
  writeFileSync(path, lines.join('\n') + '\n');

  it('--strict: stops with an InputError naming file, line and field, and leaves no tick file', async () => {
    const out = join(dir, `${file}.strict.ticks.jsonl`);
    const err = await importTicks([path], out, { strict: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.where).toEqual({ file: path, line });
    expect(e.field).toBe(field);
    // A parenthesised pseudo-field ('(line)', '(columns)') stays on the error but not in the message a user reads.
    expect(e.message).toContain(field.startsWith('(') ? `${path}:${line}: ` : `${path}:${line}: field '${field}'`);
    if (field.startsWith('(')) expect(e.message).not.toContain('field');
    expect(existsSync(out)).toBe(false);
  });

  it('lenient: skips and counts the line by reason, writes every good trade and nothing else', async () => {
    const out = join(dir, `${file}.ticks.jsonl`);
    const summary = await importTicks([path], out);
    expect(summary.skipped).toEqual({ [reason]: 1 });
    expect(readTicks(out).map(tradeOf)).toEqual(good.map(strip));
    expect(summary.tradesWritten).toBe(good.length);
  });
});

describe('other bad input', () => {
  it('a truncated gzip: strict stops; lenient keeps every complete line before the cut and counts it', async () => {
    const whole = readFileSync(join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz'));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    const path = join(dir, 'btcusdt_truncated.gz');
    writeFileSync(path, cut);
    // What a gzip reader can recover: the complete lines of the readable prefix.
    const readable = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n');
    readable.pop();
    const recoverable = recordedTrades(readable);
    expect(recoverable.length).toBeGreaterThan(0);
    expect(recoverable.length).toBeLessThan(recordedTrades(fileLines(join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz'))).length);

    await expect(importTicks([path], join(dir, 'trunc-strict.jsonl'), { strict: true })).rejects.toThrow(/btcusdt_truncated\.gz:\d+: corrupt or truncated gzip/);
    const out = join(dir, 'trunc.jsonl');
    const summary = await importTicks([path], out);
    expect(summary.skipped).toEqual({ truncated_gzip: 1 });
    expect(readTicks(out).map(tradeOf)).toEqual(recoverable.map(strip));
  });

  it('an insurance-fund print is not a market trade: skipped and counted in both modes', async () => {
    const lines = withLine(K, editData(base[K - 1], (d) => (d.X = 'INSURANCE_FUND')));
    const path = join(dir, 'ethusdt_insurance.txt');
    writeFileSync(path, lines.join('\n') + '\n');
    for (const strict of [false, true]) {
      const out = join(dir, `ins-${strict}.jsonl`);
      const summary = await importTicks([path], out, { strict });
      expect(summary.skipped).toEqual({ not_market_print: 1 });
      expect(readTicks(out).map(tradeOf)).toEqual(without(t).map(strip));
    }
  });

  it('a file of no known format is refused, strict or not', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are not trades\n1 2 3\n');
    await expect(importTicks([path], join(dir, 'notes.jsonl'))).rejects.toThrow(/notes\.txt:1: not a Binance recording, JSON lines or trades\/aggTrades CSV/);
  });

  it('the same trades in two files: the second copies are counted, never written twice', async () => {
    const a = join(dir, 'ethusdt_a.txt');
    const b = join(dir, 'ethusdt_b.txt');
    writeFileSync(a, base.slice(0, 30).join('\n') + '\n');
    writeFileSync(b, base.slice(20).join('\n') + '\n');
    const out = join(dir, 'overlap.jsonl');
    const summary = await importTicks([a, b], out);
    expect(summary.skipped).toEqual({ overlaps_earlier_file: 10 });
    expect(readTicks(out).map(tradeOf)).toEqual(baseTrades.map(strip));
    await expect(importTicks([a, b], join(dir, 'overlap-strict.jsonl'), { strict: true })).rejects.toThrow(/ethusdt_b\.txt:1: field 'tradeId'/);
  });
});
