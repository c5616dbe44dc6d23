import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTicks } from '../actors/venues/binance/importers';
import { readAllEvents } from '../events/log';
import { describeWithShared, FIXTURES } from './support/shared';
import { fileLines, fileText, readTicks, recordedKinds, recordedTrades, strip, tempDir, tradeOf, type ExpectedTrade } from './support/binanceRecording';

const BTC = join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz');
const ETH = join(FIXTURES, 'binance/ethusdt_20240808.head1200.gz');
const ETH_TXT = join(FIXTURES, 'binance/ethusdt_20240808.head300.trades.txt');

/** The expected merge: by trade time, ties by file order then line order. */
function mergeExpected(files: ExpectedTrade[][]): Omit<ExpectedTrade, 'line'>[] {
  return files
    .flatMap((trades, file) => trades.map((t) => ({ t, file })))
    .sort((a, b) => a.t.ts - b.t.ts || a.file - b.file || a.t.line - b.t.line)
    .map(({ t }) => strip(t));
}

describe('combined-stream recordings (hftbacktest slices, MIT)', () => {
  const dir = tempDir();

  it('counts every line by kind, writes only the trades, stamped with exchange time T', async () => {
    const lines = fileLines(BTC);
    const expected = recordedTrades(lines);
    const out = join(dir, 'btc.ticks.jsonl');
    const summary = await importTicks([BTC], out);

    expect(summary.linesByKind).toEqual(recordedKinds(lines));
    expect(summary.linesByKind).toEqual({ trade: 229, bookTicker: 1137, depth: 133, snapshot: 1 });
    expect(summary.files[0].format).toBe('recording');
    expect(summary.skipped).toEqual({});
    const ticks = readTicks(out);
    expect(ticks.map(tradeOf)).toEqual(expected.map(strip));
    expect(ticks.map((t) => t.seq)).toEqual(expected.map((_, i) => i + 1));
    expect(new Set(ticks.map((t) => `${t.v}/${t.type}/${t.venue}`))).toEqual(new Set(['1/trade/binance']));
    // The collector's clock ran behind Binance: the local prefix is not the event time.
    const localMs = Math.floor(Number(lines[expected[0].line - 1].split(' ')[0]) / 1e6);
    expect(ticks[0].ts).not.toBe(localMs);
    expect(summary.firstTs).toBe(expected[0].ts);
    expect(summary.lastTs).toBe(expected[expected.length - 1].ts);
    expect(summary.tradesWritten).toBe(expected.length);
  });

  it('merges two files by time, ties in command-line order then line order', async () => {
    const btc = recordedTrades(fileLines(BTC));
    const eth = recordedTrades(fileLines(ETH));
    const btcTimes = new Set(btc.map((t) => t.ts));
    expect(eth.filter((t) => btcTimes.has(t.ts)).length).toBeGreaterThan(0); // the slices do share trade times

    const ab = join(dir, 'ab.ticks.jsonl');
    await importTicks([BTC, ETH], ab);
    expect(readTicks(ab).map(tradeOf)).toEqual(mergeExpected([btc, eth]));

    const ba = join(dir, 'ba.ticks.jsonl');
    await importTicks([ETH, BTC], ba);
    const reversed = readTicks(ba).map(tradeOf);
    expect(reversed).toEqual(mergeExpected([eth, btc]));
    expect(reversed).not.toEqual(readTicks(ab).map(tradeOf));
  });

  it('reads a *.trades.txt file (plain text) like the matching recording', async () => {
    const out = join(dir, 'eth-txt.ticks.jsonl');
    const summary = await importTicks([ETH_TXT], out);
    const expected = recordedTrades(fileLines(ETH_TXT));
    expect(expected).toHaveLength(300);
    expect(summary.linesByKind).toEqual({ trade: 300 });
    expect(readTicks(out).map(tradeOf)).toEqual(expected.map(strip));
    // The recording slice holds the same first trades.
    const fromGz = recordedTrades(fileLines(ETH)).map(strip);
    expect(fromGz.slice(0, 10)).toEqual(expected.slice(0, 10).map(strip));
  });

  it('re-orders trades of different symbols within one file (a lagging stream), and counts what falls outside the window', async () => {
    // One combined recording of both symbols, in receive order, with the ETH stream arriving 2 s late.
    const tagged = [
      ...fileLines(BTC).map((l, i) => ({ at: BigInt(l.slice(0, l.indexOf(' '))), file: 0, i, l })),
      ...fileLines(ETH).map((l, i) => ({ at: BigInt(l.slice(0, l.indexOf(' '))) + 2_000_000_000n, file: 1, i, l })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.file - b.file || a.i - b.i));
    const lines = tagged.map((x) => `${x.at} ${x.l.slice(x.l.indexOf(' ') + 1)}`);
    const combined = join(dir, 'combined.txt');
    writeFileSync(combined, lines.join('\n') + '\n');
    const trades = recordedTrades(lines);

    const out = join(dir, 'combined.ticks.jsonl');
    const summary = await importTicks([combined], out);
    expect(summary.skipped).toEqual({});
    expect(readTicks(out).map(tradeOf)).toEqual(mergeExpected([trades]));

    // Without a window the file must be in time order: every trade older than one already written is skipped.
    let newest = -Infinity;
    let late = 0;
    for (const t of trades) {
      if (t.ts < newest) late++;
      else newest = t.ts;
    }
    expect(late).toBeGreaterThan(0);
    const strictOrder = await importTicks([combined], join(dir, 'combined0.ticks.jsonl'), { reorderMs: 0 });
    expect(strictOrder.skipped).toEqual({ beyond_reorder_window: late });
    expect(strictOrder.tradesWritten).toBe(trades.length - late);
    await expect(importTicks([combined], join(dir, 'combined0s.ticks.jsonl'), { reorderMs: 0, strict: true })).rejects.toThrow(/combined\.txt:\d+: field 'T'/);
  });

  it('writes gzip when the output name ends in .gz (read back by the event-log reader)', async () => {
    const out = join(dir, 'btc-gz.ticks.jsonl.gz');
    const plain = join(dir, 'btc-plain.ticks.jsonl');
    await importTicks([BTC], out);
    await importTicks([BTC], plain);
    expect(readFileSync(out).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const { records } = await readAllEvents(out);
    expect(records).toHaveLength(229);
    expect(records.map((r) => r.line).join('\n') + '\n').toBe(readFileSync(plain, 'utf8'));
  });
});

const SPOT = 'binance/hftbacktest/spot';
// Per-file counts as stated in shared/data/SOURCES.md (trades, bookTicker, depth, snapshot; first and last trade id).
const STATED = [
  { file: 'btcusdt_20240808', trade: 9757, bookTicker: 28040, depth: 3451, snapshot: 1, ids: [3735683259, 3735693015] },
  { file: 'btcusdt_20240809', trade: 10147, bookTicker: 45134, depth: 3044, snapshot: 0, ids: [3735693016, 3735703162] },
  { file: 'ethusdt_20240808', trade: 6106, bookTicker: 24077, depth: 3434, snapshot: 1, ids: [1520538925, 1520545030] },
  { file: 'ethusdt_20240809', trade: 8409, bookTicker: 34681, depth: 3036, snapshot: 0, ids: [1520545031, 1520553439] },
];

describeWithShared(
  'every hftbacktest file in ../shared',
  STATED.flatMap((s) => [`${SPOT}/${s.file}.gz`, `${SPOT}/${s.file}.trades.txt`]),
  (paths) => {
    const dir = tempDir();

    it.each(STATED.map((s, i) => [s.file, s, paths[2 * i], paths[2 * i + 1]] as const))('%s: .gz and .trades.txt give the recorded trades', async (name, stated, gz, txt) => {
      const lines = fileLines(gz);
      const expected = recordedTrades(lines);
      const kinds = recordedKinds(lines);
      const outGz = join(dir, `${name}.gz.ticks.jsonl`);
      const summary = await importTicks([gz], outGz);
      expect(summary.linesByKind).toEqual(kinds);
      const { file: _f, ids, snapshot, ...streams } = stated;
      expect(summary.linesByKind).toEqual(snapshot > 0 ? { ...streams, snapshot } : streams);
      const ticks = readTicks(outGz);
      expect(ticks.map(tradeOf)).toEqual(expected.map(strip));
      expect([ticks[0].tradeId, ticks[ticks.length - 1].tradeId]).toEqual(ids);

      const outTxt = join(dir, `${name}.txt.ticks.jsonl`);
      const fromTxt = await importTicks([txt], outTxt);
      expect(fromTxt.linesByKind).toEqual({ trade: stated.trade });
      expect(fileText(outTxt)).toBe(fileText(outGz));
    });

    it('all four recordings merge into the committed demo tick file, byte for byte', async () => {
      const gzs = STATED.map((_, i) => paths[2 * i]);
      const out = join(dir, 'all.ticks.jsonl');
      const summary = await importTicks(gzs, out);
      expect(summary.tradesWritten).toBe(34_419);
      expect(summary.tradesBySymbol).toEqual({ BTCUSDT: 19_904, ETHUSDT: 14_515 });
      expect(summary.linesByKind).toEqual({ trade: 34_419, bookTicker: 131_932, depth: 12_965, snapshot: 2 });
      const ticks = readTicks(out);
      expect(ticks.map(tradeOf)).toEqual(mergeExpected(gzs.map((p) => recordedTrades(fileLines(p)))));
      for (const sym of ['BTCUSDT', 'ETHUSDT']) {
        const ids = ticks.filter((t) => t.symbol === sym).map((t) => t.tradeId);
        expect(ids.every((id, i) => i === 0 || id === ids[i - 1] + 1)).toBe(true); // gapless across the file boundary
      }
      expect(fileText(join(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz'))).toBe(fileText(out));
    });
  },
);

describeWithShared('freqtrade REST aggTrades JSON lines (GPL, read from ../shared)', ['binance/freqtrade/XRPETH-aggTrades-20191011-20191013.jsonl'], ([path]) => {
  it('takes the symbol from the file name and the aggregate id as trade id', async () => {
    const lines = fileLines(path);
    const expected = lines.map((l) => {
      const a = JSON.parse(l) as { a: number; p: string; q: string; T: number; m: boolean };
      return { symbol: 'XRPETH', tradeId: a.a, price: a.p, qty: a.q, ts: a.T, buyerMaker: a.m };
    });
    const out = join(tempDir(), 'xrpeth.ticks.jsonl');
    const summary = await importTicks([path], out);
    expect(summary.files[0].format).toBe('jsonl');
    expect(summary.linesByKind).toEqual({ aggTrade: 12_477 });
    expect(summary.tradesWritten).toBe(12_477);
    const ticks = readTicks(out);
    expect(ticks.map(tradeOf)).toEqual(expected);
    expect([ticks[0].tradeId, ticks[ticks.length - 1].tradeId]).toEqual([13519807, 13532283]);
    const other = await importTicks([path], join(tempDir(), 'x.ticks.jsonl'), { symbol: 'xrpeth' });
    expect(other.tradesBySymbol).toEqual({ XRPETH: 12_477 });
  });
});
