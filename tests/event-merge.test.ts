import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeEventFiles, type MergedRecord } from '../events/merge';
import type { ReadSummary } from '../events/log';

const trade = (seq: number, ts: number, symbol: string) =>
  `{"v":1,"seq":${seq},"ts":${ts},"type":"trade","venue":"binance","symbol":"${symbol}","tradeId":${seq},"price":"100.5","qty":"0.1","buyerMaker":false}`;

async function drain(gen: AsyncGenerator<MergedRecord[], ReadSummary[]>): Promise<{ records: MergedRecord[]; summaries: ReadSummary[] }> {
  const records: MergedRecord[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { records, summaries: next.value };
    records.push(...next.value);
  }
}

describe('mergeEventFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-merge-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes one file through in line order with its summary (torn tail included)', async () => {
    const path = join(dir, 'one.jsonl');
    writeFileSync(path, [trade(1, 1000, 'BTCUSDT'), trade(2, 1000, 'ETHUSDT'), '', trade(3, 1005, 'BTCUSDT')].join('\n') + '\n{"v":1,"se');
    const { records, summaries } = await drain(mergeEventFiles([path]));
    expect(records.map((r) => [r.lineNo, r.event.ts, (r.event as { symbol: string }).symbol])).toEqual([
      [1, 1000, 'BTCUSDT'],
      [2, 1000, 'ETHUSDT'],
      [4, 1005, 'BTCUSDT'],
    ]);
    expect(records[2].line).toBe(trade(3, 1005, 'BTCUSDT'));
    expect(summaries).toEqual([{ lines: 5, events: 3, tornTail: { line: 5, offset: expect.any(Number), bytes: 10, preview: '{"v":1,"se' } }]);
  });

  it('merges several files by ts, a tie going to the file given first, then line order', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    writeFileSync(a, [trade(1, 1000, 'A'), trade(2, 1002, 'A'), trade(3, 1002, 'A')].join('\n') + '\n');
    writeFileSync(b, [trade(1, 1001, 'B'), trade(2, 1002, 'B'), trade(3, 1003, 'B')].join('\n') + '\n');
    const { records, summaries } = await drain(mergeEventFiles([b, a]));
    expect(records.map((r) => `${(r.event as { symbol: string }).symbol}${r.lineNo}`)).toEqual(['A1', 'B1', 'B2', 'A2', 'A3', 'B3']);
    expect(summaries.map((s) => s.events)).toEqual([3, 3]);
  });

  it.each([1, 2])('refuses a file whose time goes backwards, naming file and line (%i file(s))', async (files) => {
    const bad = join(dir, `bad${files}.jsonl`);
    writeFileSync(bad, [trade(1, 1000, 'A'), trade(2, 1003, 'A'), trade(3, 1002, 'A')].join('\n') + '\n');
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, trade(1, 999, 'B') + '\n');
    const paths = files === 1 ? [bad] : [other, bad];
    await expect(drain(mergeEventFiles(paths))).rejects.toThrow(`${bad}:3: field 'ts': time goes backwards (1002 after 1003); tick files must be in time order`);
  });
});
