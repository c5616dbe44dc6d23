import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLineBatches, readScannedLines, type LineReadResult } from '../events/lines';

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

  // A plain file is read in this thread (events/lines.ts `plainChunks`): the reader must still let the event
  // loop turn, and close its file when its caller stops early.
  const bigText = Array.from({ length: 90_000 }, (_, i) => `{"n":${i},"pad":"${'p'.repeat(80)}"}`).join('\n') + '\n';

  it('lets timers run while a long plain file is read (the event loop turns at least once a MiB)', async () => {
    const path = join(dir, 'long.jsonl');
    writeFileSync(path, bigText);
    expect(Buffer.byteLength(bigText)).toBeGreaterThan(8 << 20);
    let batches = 0;
    let firedAtBatch = -1;
    let timer: NodeJS.Timeout | undefined;
    let lines = 0;
    for await (const batch of readLineBatches(path, { chunkBytes: 64 * 1024 })) {
      // Set once reading is under way (opening the file awaits I/O, which would let it fire at once).
      if (batches++ === 0) timer = setTimeout(() => (firedAtBatch = batches), 0);
      lines += batch.lines.length;
    }
    clearTimeout(timer);
    expect(lines).toBe(90_000);
    // Fired while lines were still coming, not only once the file was done.
    expect(firedAtBatch).toBeGreaterThan(1);
    expect(firedAtBatch).toBeLessThan(batches - 16);
  });

  const openFds = () => readdirSync('/proc/self/fd').length;

  it.each([
    ['readLineBatches', (path: string) => readLineBatches(path, { chunkBytes: 64 * 1024 })],
    ['readScannedLines', (path: string) => readScannedLines(path, { chunkBytes: 64 * 1024 })],
  ])('%s closes the file when its caller stops after the first batch, and after the last', async (_name, read) => {
    const path = join(dir, 'stop.jsonl');
    writeFileSync(path, bigText);
    const before = openFds();
    for await (const batch of read(path)) {
      expect(Array.isArray(batch) ? batch.length : batch.lines.length).toBeGreaterThan(0);
      expect(openFds()).toBe(before + 1);
      break;
    }
    expect(openFds()).toBe(before);
    let n = 0;
    for await (const batch of read(path)) n += Array.isArray(batch) ? batch.length : batch.lines.length;
    expect(n).toBe(90_000);
    expect(openFds()).toBe(before);
  });
});
