import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLineBatches, type LineReadResult } from '../events/lines';

async function readAll(path: string, chunkBytes?: number): Promise<{ lines: string[]; firstLines: number[]; result: LineReadResult }> {
  const gen = readLineBatches(path, { chunkBytes });
  const lines: string[] = [];
  const firstLines: number[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { lines, firstLines, result: next.value };
    expect(next.value.firstLine).toBe(lines.length + 1);
    firstLines.push(next.value.firstLine);
    lines.push(...next.value.lines);
  }
}

describe('readLineBatches', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-lines-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Lines of 0 to 200 000 characters, some with 2-, 3- and 4-byte characters, so that read chunks and the
  // decoder's pieces end inside lines and next to multi-byte characters; a torn last line.
  const wide = ['é', '€', '𝄞'];
  const lines = Array.from({ length: 3_000 }, (_, i) => {
    const n = i % 97 === 0 ? 70_000 + i * 40 : (i * 7919) % 400;
    return `${i}:` + (i % 3 === 0 ? wide[Math.floor(i / 3) % 3].repeat(n / 4) + 'x'.repeat(n % 5) : 'a'.repeat(n));
  });
  const text = lines.join('\n') + '\nthe torn €';

  it.each([
    ['plain, 1 MiB reads', false, undefined],
    ['plain, 100 000-byte reads', false, 100_000],
    ['gzip', true, undefined],
  ])('yields every line in order with its line number, whatever the chunking (%s)', async (_name, gz, chunkBytes) => {
    const path = join(dir, gz ? 'a.jsonl.gz' : 'a.jsonl');
    writeFileSync(path, gz ? gzipSync(Buffer.from(text)) : text);
    const read = await readAll(path, chunkBytes);
    expect(read.lines).toEqual(lines);
    expect(read.firstLines.length).toBeGreaterThan(1);
    const complete = Buffer.byteLength(lines.join('\n') + '\n');
    expect(read.result).toEqual({ lines: lines.length, unterminated: 'the torn €', unterminatedLine: lines.length + 1, unterminatedOffset: complete, unterminatedBytes: Buffer.byteLength('the torn €') });
  });
});
