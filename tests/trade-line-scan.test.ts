import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../events/errors';
import { readLineBatches, readScannedLines, type LineReadResult, type ScannedLine } from '../events/lines';
import { lineWithSeq, parseEventLine, readEventBatches, readReplayRecords, readSummary } from '../events/log';
import { ScannedTrade, TradeLineScanner } from '../events/tradeLine';
import type { AnyEvent, TradeEvent } from '../events/types';
import { seededRandom as prng } from './chaos/support/random';

/**
 * The byte-level trade line reader (events/tradeLine.ts, events/lines.ts) against the text path it
 * stands in for: a line the scanner accepts is the event `parseEventLine` gives (same fields, values and
 * key order), its numbers are `Number` of its texts, it renders as `lineWithSeq` writes it; it accepts
 * every line in the trade template's form and nothing `parseEventLine` rejects or reads differently.
 */

const REPO = resolve(__dirname, '..');
const TEMPLATE_KEYS = ['v', 'seq', 'ts', 'type', 'venue', 'symbol', 'tradeId', 'price', 'qty', 'buyerMaker'];

/** What `parseEventLine` makes of a line, or null when it rejects it as bad input. */
function parsedOrNull(text: string, lineNo: number): AnyEvent | null {
  try {
    return parseEventLine(text, 'scan.jsonl', lineNo);
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

/**
 * Whether a line is in the trade template's form, decided from what `parseEventLine` gives: a trade whose
 * JSON text is the line itself with the template's keys in order, an A-Z/0-9 symbol, integers of at most
 * 15 digits and decimals of at most 40 characters (longer ones the scanner leaves to the text path).
 */
function isTemplateTrade(text: string, event: AnyEvent | null): boolean {
  if (event === null || event.type !== 'trade') return false;
  const t = event as TradeEvent;
  return (
    Object.keys(t).join(',') === TEMPLATE_KEYS.join(',') &&
    JSON.stringify(t) === text &&
    t.venue === 'binance' &&
    /^[A-Z0-9]+$/.test(t.symbol) &&
    [t.seq, t.ts, t.tradeId].every((n) => n >= 0 && String(n).length <= 15) &&
    t.price.length <= 40 &&
    t.qty.length <= 40
  );
}

/**
 * How an accepted line breaks the contract (none: an empty list). `text` is the source line, `event` what
 * `parseEventLine` gives for it (null: it rejects it), `seq` a seq to render it with.
 */
function contractProblems(trade: ScannedTrade, text: string, event: AnyEvent | null, lineNo: number, seq: number): string[] {
  const problems: string[] = [];
  if (event === null) return [`accepted a line parseEventLine rejects: ${text}`];
  const e = event as TradeEvent;
  if (!(trade instanceof ScannedTrade)) problems.push('not a ScannedTrade');
  if (JSON.stringify(trade.event) !== JSON.stringify(event)) problems.push(`event ${JSON.stringify(trade.event)} != parsed ${JSON.stringify(event)}`);
  if (trade.lineNo !== lineNo) problems.push(`lineNo ${trade.lineNo} != ${lineNo}`);
  if (trade.line !== text) problems.push(`line ${trade.line} != source`);
  if (trade.lineLength !== text.length) problems.push(`lineLength ${trade.lineLength} != ${text.length}`);
  if (!Object.is(trade.priceNumber, Number(e.price))) problems.push(`priceNumber ${trade.priceNumber} != Number(${e.price})`);
  if (!Object.is(trade.qtyNumber, Number(e.qty))) problems.push(`qtyNumber ${trade.qtyNumber} != Number(${e.qty})`);
  // Rendered at an offset into a buffer of marker bytes: the line with the new seq, nothing written outside it.
  const at = 3;
  const out = Buffer.alloc(at + trade.maxLineBytes + 8, 0xff);
  const end = trade.render(out, at, seq);
  const rendered = out.toString('utf8', at, end);
  const expected = lineWithSeq(text, seq);
  if (rendered !== expected) problems.push(`render(seq ${seq}) ${rendered} != lineWithSeq ${expected}`);
  if (end - at > trade.maxLineBytes) problems.push(`rendered ${end - at} bytes > maxLineBytes ${trade.maxLineBytes}`);
  if (out.subarray(0, at).some((b) => b !== 0xff) || out.subarray(end).some((b) => b !== 0xff)) problems.push('render wrote outside its line');
  // The text again after a render under another seq.
  if (trade.line !== text) problems.push(`line after render ${trade.line} != source`);
  return problems.map((p) => `${p}  [line: ${text}]`);
}

/** What the text path makes of the line `buf[start, end)`. */
function textRead(buf: Buffer, start: number, end: number, lineNo: number): { text: string; event: AnyEvent | null; template: boolean } {
  const text = buf.toString('utf8', start, end);
  const event = parsedOrNull(text, lineNo);
  return { text, event, template: isTemplateTrade(text, event) };
}

/** Counts and the first problems of many scans. */
class ScanTally {
  accepted = 0;
  rejected = 0;
  templates = 0;
  readonly problems: string[] = [];

  note(problems: string[]): void {
    if (this.problems.length < 20) this.problems.push(...problems);
  }
}

/**
 * Scans `buf[start, end)` with `scanner`, checks the contract on an accepted line, and that a line in the
 * template's form is accepted when `mustAccept` (a scanner that has seen few symbols: past 64 a scanner
 * leaves new ones to the text path, which is allowed).
 */
function scanAndCheck(scanner: TradeLineScanner, buf: Buffer, start: number, end: number, lineNo: number, seq: number, tally: ScanTally, mustAccept: boolean, read = textRead(buf, start, end, lineNo)): ScannedTrade | null {
  const { text, event, template } = read;
  if (template) tally.templates++;
  const trade = scanner.scan(buf, start, end, lineNo);
  if (trade === null) tally.rejected++;
  else {
    tally.accepted++;
    tally.note(contractProblems(trade, text, event, lineNo, seq));
  }
  if (mustAccept && trade === null && template) tally.note([`rejected a template trade line: ${text}`]);
  return trade;
}

/** Tick files and event logs shipped in the repo (data/, tests/fixtures): every `*.jsonl` or `*.jsonl.gz`. */
function shippedTickFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.jsonl(\.gz)?$/.test(entry.name)) found.push(p);
    }
  };
  for (const dir of ['data', 'tests/fixtures']) if (existsSync(join(REPO, dir))) walk(join(REPO, dir));
  return found.sort();
}

function fileText(path: string): Buffer {
  const raw = readFileSync(path);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

/** A few real trade lines (the repo's recorded Binance ticks), of both sides and both symbols. */
function seedLines(): string[] {
  const lines = fileText(join(REPO, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz')).toString('utf8').split('\n');
  const pick = (symbol: string, buyerMaker: boolean) => lines.find((l) => l.includes(`"symbol":"${symbol}"`) && l.endsWith(`"buyerMaker":${buyerMaker}}`))!;
  return [pick('BTCUSDT', true), pick('BTCUSDT', false), pick('ETHUSDT', true), pick('ETHUSDT', false)];
}

describe('TradeLineScanner on the tick files shipped in the repo', () => {
  const files = shippedTickFiles();

  it('finds the shipped tick files', () => {
    expect(files.map((f) => f.slice(REPO.length + 1))).toEqual(expect.arrayContaining(['data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz', 'tests/fixtures/logs/demo-v1.head2700.events.jsonl.gz']));
  });

  it.each(files.map((f) => [f.slice(REPO.length + 1), f]))('accepts exactly the template trade lines of %s, each as parseEventLine reads it', (_name, path) => {
    const text = fileText(path);
    // One scanner per file read, the lines scanned where they stand in the file's bytes.
    const scanner = new TradeLineScanner();
    const tally = new ScanTally();
    let lines = 0;
    let lineNo = 1;
    for (let start = 0; start < text.length; lineNo++) {
      let end = text.indexOf(0x0a, start);
      if (end < 0) end = text.length;
      if (end > start) {
        lines++;
        scanAndCheck(scanner, text, start, end, lineNo, 1_000_000 + lineNo, tally, true);
      }
      start = end + 1;
    }
    expect(tally.problems).toEqual([]);
    expect(tally.templates).toBeGreaterThan(0);
    expect(tally.accepted).toBe(tally.templates);
    expect(tally.accepted + tally.rejected).toBe(lines);
  });

  it('finds other lines than template trades among them, and rejects them', () => {
    const log = fileText(join(REPO, 'tests/fixtures/logs/demo-v1.head2700.events.jsonl.gz'));
    const scanner = new TradeLineScanner();
    const other = log
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0 && !l.includes('"type":"trade"'));
    expect(other.length).toBeGreaterThan(0);
    for (const l of other) expect(scanner.scan(Buffer.from(l), 0, Buffer.byteLength(l), 1)).toBeNull();
  });
});

/** Characters each byte of a line is replaced by, or inserted before, in turn. */
const FUZZ_CHARS = ['0', '1', '9', '-', '+', '.', 'e', 'E', '"', '\\', ' ', '\t', '}', '{', ',', ':', 'a', 'Z'];

/** `line` with the raw JSON text of `key`'s value replaced by `raw`. */
function withField(line: string, key: string, raw: string): string {
  const at = line.indexOf(`"${key}":`) + key.length + 3;
  const end = line[at] === '"' ? line.indexOf('"', at + 1) + 1 : line.slice(at).search(/[,}]/) + at;
  return line.slice(0, at) + raw + line.slice(end);
}

/** `text` with the digit at `k` repeated `r` times. */
const repeatDigit = (text: string, k: number, r: number) => text.slice(0, k) + text[k].repeat(r) + text.slice(k + 1);

function integerTexts(original: string): string[] {
  const texts = ['0', '00', '01', '-1', '-0', '1e5', '1E5', '1.0', '1.5', '5.', '+5', '0x10', ' 5', '5 ', '"5"', 'true', 'null', '9', '10', '999999999999999', '1000000000000000', '9007199254740991', '9007199254740992', '9007199254740993', '123456789012345678901', '0'.repeat(15), '1' + '0'.repeat(14)];
  // Digits duplicated up to 16 and more digits (the scanner reads 15 at most).
  for (let k = 0; k < original.length; k++) for (let r = 2; r <= 8; r++) texts.push(repeatDigit(original, k, r));
  texts.push('0' + original, '00' + original, '-' + original);
  return texts;
}

function decimalTexts(original: string): string[] {
  const texts = ['0', '0.0', '0.00', '00', '000', '.5', '5.', '5', '50', '0.5', '00.5', '05', '05.5', '0.05', '1e5', '1E5', '1e-5', '-1', '+1', '-0.5', '1.5.5', '', '.', '..5', '1..5', ' 1', '1 ', '1,5', 'Infinity', 'NaN', '0x1', '١.٥', '1\\u0030', '\\u0031.5', '1\\n', '9007199254740991', '9007199254740992', '9007199254740993', '90071992547409.93', '0.9007199254740993', '1' + '0'.repeat(22), '1' + '0'.repeat(23), `0.${'0'.repeat(21)}1`, `0.${'0'.repeat(22)}1`, `0.${'0'.repeat(23)}1`, `0.${'0'.repeat(37)}1`, `0.${'0'.repeat(38)}1`, '1'.repeat(40), '1'.repeat(41), '1'.repeat(300), '1'.repeat(301), '123456789.123456789', '0.1', '0.3', '0.7', '2.675', '1.005', '4.35', '8.589973e9', '0.0000000000000000000000000000000000000'];
  for (let k = 0; k < original.length; k++) if (original[k] !== '.') for (const r of [2, 5, 12]) texts.push(repeatDigit(original, k, r));
  for (const n of [30, 39, 40, 41, 42]) texts.push(original.padEnd(n, '0'));
  texts.push('0' + original, original.replace(/0+$/, ''), original.replace(/\.?0+$/, ''), original.replace('.', ''));
  return texts.map((t) => JSON.stringify(t).replace(/\\\\/g, '\\')).concat(['5', '0.5', original, 'null', 'true']);
}

const SYMBOLS = ['btcusdt', 'BTCusdt', 'BTCÜSDT', 'ÄÖ', '€', '𝄞', '', 'B', '1', '9', '1000SATSUSDT', 'BTC-USDT', 'BTC USDT', 'BTC_USDT', 'BTC\\u0055SDT', '\\u0042TCUSDT', 'BTC\\"USDT', 'BTC\\\\USDT', 'BTC\\nUSDT', 'BTC\\/USDT', 'X'.repeat(100), 'ETHUSDT', 'ETHBTC', 'AZ09', 'BTCUSDT\u0000', 'BTCUSDT\u007f'];
const BOOLEANS = ['true', 'false', 'True', 'TRUE', 'tru', 'truee', 'fals', 'falsee', '0', '1', 'null', '"true"', 'true ', ' true', 'false,', 'true,"market":"usdm"'];

/** Variants of a real trade line that parse and check as the same or another trade, or not at all. */
function* lineVariants(seed: string): Generator<string | Buffer | Cut> {
  const bytes = Buffer.from(seed, 'latin1');
  for (let i = 0; i < bytes.length; i++) {
    for (const c of FUZZ_CHARS) {
      const b = Buffer.from(bytes);
      b[i] = c.charCodeAt(0);
      yield b;
    }
    yield Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
  }
  for (let i = 0; i <= bytes.length; i++) for (const c of FUZZ_CHARS) yield Buffer.concat([bytes.subarray(0, i), Buffer.from(c), bytes.subarray(i)]);
  const event = JSON.parse(seed) as TradeEvent;
  for (const key of ['seq', 'ts', 'tradeId']) for (const raw of integerTexts(String(event[key as 'seq']))) yield withField(seed, key, raw);
  for (const key of ['price', 'qty']) for (const raw of decimalTexts(event[key as 'price'])) yield withField(seed, key, raw);
  for (const symbol of SYMBOLS) yield withField(seed, 'symbol', `"${symbol}"`);
  for (const raw of BOOLEANS) yield withField(seed, 'buyerMaker', raw);
  for (const raw of ['2', '1.0', '"1"', '01', '10', '0']) yield withField(seed, 'v', raw);
  for (const raw of ['"trade "', '"Trade"', '"\\u0074rade"', '"book"', '"timer"']) yield withField(seed, 'type', raw);
  for (const raw of ['"binance "', '"BINANCE"', '"binanc\\u0065"', '"polymarket"', '"binance\\u0000"']) yield withField(seed, 'venue', raw);
  // Escaped keys, reordered keys, extra and repeated fields.
  for (const key of ['seq', 'ts', 'type', 'symbol', 'price', 'qty', 'buyerMaker']) yield seed.replace(`"${key}":`, `"${key.slice(0, -1)}\\u${key.charCodeAt(key.length - 1).toString(16).padStart(4, '0')}":`);
  yield seed.replace('"price"', '"PRICE"');
  yield seed.replace(/"price":("[^"]*"),"qty":("[^"]*")/, '"qty":$2,"price":$1');
  yield seed.replace(/"price":("[^"]*"),"qty":("[^"]*")/, '"price":$2,"qty":$1');
  yield seed.replace('{', '{"market":"usdm",');
  yield seed.replace(/}$/, ',"market":"usdm"}');
  yield seed.replace(/}$/, ',"market":"coin"}');
  yield seed.replace(/}$/, ',"extra":1}');
  yield seed.replace(/}$/, ',"price":"1"}');
  yield seed.replace(/}$/, ',"seq":7}');
  yield seed.replace(/}$/, ',"buyerMaker":null}');
  yield seed.replace('"tradeId"', '"market":"usdm","tradeId"');
  yield seed.replace('{"v":1,', '{"v":1,"v":1,');
  yield seed.replace('{"v":1,', '{"v":2,"v":1,');
  // Around the line: CRLF, white space, a BOM, doubled braces, a second line.
  for (const around of [
    (l: string) => l + '\r',
    (l: string) => l + ' ',
    (l: string) => l + '\t',
    (l: string) => ' ' + l,
    (l: string) => '\ufeff' + l,
    (l: string) => l + '}',
    (l: string) => '{' + l,
    (l: string) => l + l,
    (l: string) => l + '\r\n',
    (l: string) => l.replace(/,/g, ', '),
    (l: string) => l.replace(/:/g, ': '),
  ])
    yield around(seed);
  // Every cut of the line, the rest of it still in the buffer after the end the scanner is given.
  for (let i = 0; i < bytes.length; i++) yield { line: bytes.subarray(0, i), rest: bytes.subarray(i) };
}

/** A line cut short, and the bytes after the cut (left in the buffer, past the end the scanner is given). */
interface Cut {
  line: Buffer;
  rest: Buffer;
}

/** A decimal text of 1 to 20 significant digits and 0 to 25 decimals, mostly in `LogFields.positiveDecimal`'s form. */
function randomDecimal(rand: () => number): string {
  const digits = 1 + Math.floor(rand() * 20);
  let mantissa = '';
  for (let i = 0; i < digits; i++) mantissa += String(Math.floor(rand() * 10));
  const scale = Math.floor(rand() * 26);
  const padded = mantissa.padStart(scale + 1, '0');
  const text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  // Leading zeros of the integer part (not allowed but one) stripped.
  return text.replace(/^0+(?=\d)/, '');
}

function randomInteger(rand: () => number): string {
  const digits = 1 + Math.floor(rand() * 17);
  let text = String(1 + Math.floor(rand() * 9));
  for (let i = 1; i < digits; i++) text += String(Math.floor(rand() * 10));
  return rand() < 0.05 ? '0' : text;
}

describe('TradeLineScanner under mutation fuzz', () => {
  const seeds = seedLines();

  it('accepts a variant only as parseEventLine reads it, and every variant in the template form', () => {
    const rand = prng(0x5ca7);
    // A long-lived scanner (its caches of digits, decimals and symbols carried across all variants, as
    // across a file), and one renewed every 32 variants that must accept every template line.
    const longLived = new TradeLineScanner();
    let fresh = new TradeLineScanner();
    const tally = new ScanTally();
    const freshTally = new ScanTally();
    let variants = 0;
    let seq = 1;
    const nextSeq = (): number => {
      const r = rand();
      if (r < 0.6) seq += 1;
      else if (r < 0.8) seq += Math.floor(rand() * 5000);
      else if (r < 0.9) seq = [0, 9, 10, 99, 100, 999_999, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1e15 - 1, 1e15, Number.MAX_SAFE_INTEGER][Math.floor(rand() * 12)];
      else seq = Math.max(0, seq - Math.floor(rand() * 100));
      if (seq > Number.MAX_SAFE_INTEGER - 10_000) seq = 1;
      return seq;
    };
    // The variant where it stands among other bytes (after a line, before what a cut left off), as in a read chunk.
    const suffixes = ['', '}', '\n', '0', '"}', 'e}', '\r\n'];
    const scanVariant = (variant: string | Buffer, rest: Buffer): void => {
      const line = typeof variant === 'string' ? Buffer.from(variant, 'utf8') : variant;
      const before = Buffer.from('{"v":1}\n');
      const after = rest.length > 0 ? rest : Buffer.from(suffixes[Math.floor(rand() * suffixes.length)]);
      const buf = Buffer.concat([before, line, after]);
      variants++;
      if (variants % 32 === 0) fresh = new TradeLineScanner();
      const lineNo = variants;
      const [start, end] = [before.length, before.length + line.length];
      const read = textRead(buf, start, end, lineNo);
      scanAndCheck(longLived, buf, start, end, lineNo, nextSeq(), tally, false, read);
      scanAndCheck(fresh, buf, start, end, lineNo, nextSeq(), freshTally, true, read);
    };

    // The seeds first: their symbols are among the long-lived scanner's first 64.
    for (const seed of seeds) scanVariant(seed, Buffer.alloc(0));
    for (const seed of seeds) {
      for (const variant of lineVariants(seed)) {
        if (typeof variant === 'string' || Buffer.isBuffer(variant)) scanVariant(variant, Buffer.alloc(0));
        else scanVariant(variant.line, variant.rest);
      }
    }
    // Random mutations of 1 to 4 bytes (any byte value), and random well-formed numbers.
    for (let n = 0; n < 12_000; n++) {
      const b = Buffer.from(seeds[n % seeds.length], 'latin1');
      let line = b;
      for (let m = 1 + Math.floor(rand() * 4); m > 0; m--) {
        const i = Math.floor(rand() * line.length);
        const c = rand() < 0.7 ? FUZZ_CHARS[Math.floor(rand() * FUZZ_CHARS.length)].charCodeAt(0) : Math.floor(rand() * 256);
        const op = rand();
        if (op < 0.5) {
          line = Buffer.from(line);
          line[i] = c;
        } else if (op < 0.75) line = Buffer.concat([line.subarray(0, i), Buffer.from([c]), line.subarray(i)]);
        else line = Buffer.concat([line.subarray(0, i), line.subarray(i + 1)]);
      }
      scanVariant(line, Buffer.alloc(0));
    }
    for (let n = 0; n < 12_000; n++) {
      let line = seeds[n % seeds.length];
      line = withField(line, 'price', `"${randomDecimal(rand)}"`);
      line = withField(line, 'qty', `"${randomDecimal(rand)}"`);
      for (const key of ['seq', 'ts', 'tradeId']) if (rand() < 0.3) line = withField(line, key, randomInteger(rand));
      scanVariant(line, Buffer.alloc(0));
    }

    expect(tally.problems).toEqual([]);
    expect(freshTally.problems).toEqual([]);
    expect(variants).toBeGreaterThan(40_000);
    expect(tally.accepted).toBeGreaterThan(10_000);
    expect(tally.rejected).toBeGreaterThan(10_000);
    // The renewed scanner accepts each template line (checked above), and may accept more if it reads them as parseEventLine does.
    expect(freshTally.templates).toBeGreaterThan(10_000);
    expect(freshTally.accepted).toBeGreaterThanOrEqual(freshTally.templates);
  });

  it('reads each decimal as its own text, whatever decimals the scanner read before', () => {
    // The same digits at many scales, one after the other: the scanner keeps the texts it made in a table
    // by digits and scale, where two of them may fall on one slot.
    const scanner = new TradeLineScanner();
    const seed = seeds[0];
    const wrong: string[] = [];
    let scanned = 0;
    for (let m = 1; m <= 3_000; m++) {
      const digits = String(m * 7919);
      for (let scale = 0; scale <= 12; scale++) {
        const padded = digits.padStart(scale + 1, '0');
        const text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
        const qty = `${text}0`.includes('.') ? `${text}0` : `${text}.0`;
        const line = Buffer.from(withField(withField(seed, 'price', `"${text}"`), 'qty', `"${qty}"`));
        const trade = scanner.scan(line, 0, line.length, 1);
        scanned++;
        if (trade === null || trade.event.price !== text || trade.event.qty !== qty || trade.priceNumber !== Number(text) || trade.qtyNumber !== Number(qty)) {
          if (wrong.length < 10) wrong.push(`${text} ${qty}: ${trade === null ? 'rejected' : `${trade.event.price} ${trade.event.qty} ${trade.priceNumber} ${trade.qtyNumber}`}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(scanned).toBe(39_000);
  });
});

/** Every item a generator of batches yields (no batch empty), and what it returns. */
async function drain<T, R>(gen: AsyncGenerator<T[], R>): Promise<{ items: T[]; result: R }> {
  const items: T[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { items, result: next.value };
    expect(next.value.length).toBeGreaterThan(0);
    items.push(...next.value);
  }
}

/** What `readScannedLines` yields and returns, and the bytes `onBytes` saw (their sha256). */
async function readScanned(path: string, chunkBytes?: number): Promise<{ records: ScannedLine[]; result: LineReadResult; sha: string }> {
  const hash = createHash('sha256');
  const { items, result } = await drain(readScannedLines(path, { chunkBytes, onBytes: (b) => hash.update(b) }));
  return { records: items, result, sha: hash.digest('hex') };
}

/** `readLineBatches`' non-empty lines with their numbers, its result, and the sha256 of what `onBytes` saw. */
async function readBatches(path: string, chunkBytes?: number): Promise<{ lines: { line: string; lineNo: number }[]; result: LineReadResult; sha: string }> {
  const hash = createHash('sha256');
  const gen = readLineBatches(path, { chunkBytes, onBytes: (b) => hash.update(b) });
  const lines: { line: string; lineNo: number }[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { lines, result: next.value, sha: hash.digest('hex') };
    next.value.lines.forEach((line, i) => {
      if (line.length > 0) lines.push({ line, lineNo: next.value.firstLine + i });
    });
  }
}

async function readError(read: () => Promise<unknown>): Promise<Error> {
  try {
    await read();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the read to fail');
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A tick file's text as both readers meet it: template trades (some symbols, CRLF ones), other events,
 * trades not in the template's form, empty lines, lines with 2-, 3- and 4-byte characters and invalid
 * UTF-8, one line of `longLine` characters.
 */
function mixedText(seeds: string[], lineCount: number, longLine: number): Buffer {
  const rand = prng(0x11e5);
  const parts: Buffer[] = [Buffer.from('\n')];
  for (let i = 0; i < lineCount; i++) {
    const seed = seeds[i % seeds.length];
    const trade = withField(withField(seed, 'seq', String(i + 1)), 'tradeId', String(3_735_683_259 + i));
    let line: string | Buffer;
    switch (i % 16) {
      case 0:
        line = `{"v":1,"seq":${i + 1},"ts":1723161256000,"type":"timer","name":"tick"}`;
        break;
      case 1:
        line = withField(trade, 'symbol', '"1000SATSUSDT"');
        break;
      case 2:
        line = trade + '\r';
        break;
      case 3:
        line = '';
        break;
      case 4:
        line = `{"v":1,"seq":${i + 1},"ts":1723161256000,"type":"timer","name":"tick é€𝄞 ${'é€𝄞'.repeat(i % 7)}"}`;
        break;
      case 5:
        line = withField(trade, 'symbol', '"BTCÜSDT"');
        break;
      case 6:
        line = trade.replace(/}$/, ',"market":"usdm"}');
        break;
      case 7:
        line = trade.replace(/,/g, ', ');
        break;
      case 8:
        line = '\r';
        break;
      case 9:
        // Invalid UTF-8: a lone continuation byte, a cut 3-byte character before a quote, a byte never in UTF-8.
        line = Buffer.concat([Buffer.from(`{"v":1,"seq":${i + 1},"ts":1,"type":"timer","name":"`), Buffer.from([0x80, 0xe2, 0x82, 0x22, 0xff]), Buffer.from('"}')]);
        break;
      case 10:
        line = withField(trade, 'price', `"${randomDecimal(rand) || '1'}"`);
        break;
      default:
        line = trade;
    }
    parts.push(typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from('\n'));
    if (i === Math.floor(lineCount / 2)) parts.push(Buffer.from(`{"v":1,"seq":0,"ts":1,"type":"timer","name":"${'ab€'.repeat(longLine / 3)}"}\n\n\n`));
  }
  return Buffer.concat(parts);
}

/** Whether a multi-byte character of `text` crosses a boundary of `chunk`-byte reads. */
function splitsCharacter(text: Buffer, chunk: number): boolean {
  for (let b = chunk; b < text.length; b += chunk) if ((text[b] & 0xc0) === 0x80) return true;
  return false;
}

describe('readScannedLines against readLineBatches', () => {
  let dir: string;
  let files = 0;
  const newPath = (name: string) => join(dir, `${++files}.${name}`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-scan-lines-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const seeds = seedLines();
  // Over 64 KiB (readScannedLines yields a batch about that big) for the larger reads, smaller for 7- and 64-byte reads.
  const mixed = mixedText(seeds, 1_200, 3_000);
  const few = mixedText(seeds, 160, 300);
  const long = mixedText(seeds, 1_200, 200_000);
  const cutTrade = Buffer.from(seeds[0]);
  const tornInside3 = Buffer.concat([Buffer.from('{"v":1,"name":"ab'), Buffer.from('€').subarray(0, 2)]);
  const tornInside4 = Buffer.concat([Buffer.from('\n\n'), Buffer.from('𝄞').subarray(0, 1)]);
  // Texts and chunk sizes (undefined: the default 1 MiB).
  const cases: [string, Buffer, (number | undefined)[]][] = [
    ['mixed lines ending with a newline', mixed, [4096, undefined]],
    ['a few mixed lines ending with a newline', few, [7, 64]],
    ['mixed lines and a torn template trade line', Buffer.concat([mixed, cutTrade]), [undefined]],
    ['a few mixed lines and a torn template trade line', Buffer.concat([few, cutTrade]), [7, 64]],
    ['mixed lines torn inside a 3-byte character', Buffer.concat([mixed, tornInside3]), [undefined]],
    ['a few mixed lines torn inside a 3-byte character', Buffer.concat([few, tornInside3]), [7, 64]],
    ['mixed lines torn inside a 4-byte character, after empty lines', Buffer.concat([mixed, tornInside4]), [undefined]],
    ['a few mixed lines torn inside a 4-byte character, after empty lines', Buffer.concat([few, tornInside4]), [7]],
    ['mixed lines and a line of 200 000 characters', long, [65_536, undefined]],
    ['only a torn line', cutTrade, [7, undefined]],
    ['only a torn 2-byte character', Buffer.from('é').subarray(0, 1), [undefined]],
    ['only empty lines', Buffer.from('\n\n\r\n'), [1, undefined]],
    ['an empty file', Buffer.alloc(0), [undefined]],
    ['one template trade line', Buffer.from(seeds[1] + '\n'), [7, undefined]],
    ['a byte order mark before a template trade line', Buffer.from('\ufeff' + seeds[2] + '\n' + seeds[3] + '\n'), [undefined]],
  ];

  it('has multi-byte characters across read chunks of 7 and 64 bytes', () => {
    expect(splitsCharacter(few, 7)).toBe(true);
    expect(splitsCharacter(few, 64)).toBe(true);
  });

  for (const [name, text, chunks] of cases) {
    for (const gz of [false, true]) {
      for (const chunkBytes of chunks) {
        it(`yields the same non-empty lines and result (${name}, ${gz ? 'gzip' : 'plain'}, ${chunkBytes ?? 'default'}-byte reads)`, async () => {
          const path = newPath(`case.jsonl${gz ? '.gz' : ''}`);
          const stored = gz ? gzipSync(text) : text;
          writeFileSync(path, stored);
          const scanned = await readScanned(path, chunkBytes);
          const batches = await readBatches(path, chunkBytes);
          // Texts read after the whole file: a trade's line is built from the read chunk's bytes, which must not have changed.
          expect(scanned.records.map((r) => ({ line: r.line, lineNo: r.lineNo }))).toEqual(batches.lines);
          expect(scanned.result).toEqual(batches.result);
          expect(scanned.sha).toBe(sha256(stored));
          expect(batches.sha).toBe(sha256(stored));
          // Scanned exactly the template trade lines, each as parseEventLine reads it.
          const tally = new ScanTally();
          let seq = 5;
          for (const r of scanned.records) {
            const event = parsedOrNull(r.line, r.lineNo);
            const template = isTemplateTrade(r.line, event);
            if (template) tally.templates++;
            if (r instanceof ScannedTrade) {
              tally.accepted++;
              tally.note(contractProblems(r, r.line, event, r.lineNo, (seq += 3)));
            } else if (template) tally.note([`line ${r.lineNo} not scanned: ${r.line}`]);
          }
          expect(tally.problems).toEqual([]);
          expect(tally.accepted).toBe(tally.templates);
          if (text.length > 10_000) expect(tally.accepted).toBeGreaterThan(40);
        });
      }
    }
  }

  it('reads the shipped tick files as readLineBatches does', async () => {
    for (const path of shippedTickFiles()) {
      const scanned = await readScanned(path);
      const batches = await readBatches(path);
      expect(scanned.records.map((r) => ({ line: r.line, lineNo: r.lineNo }))).toEqual(batches.lines);
      expect(scanned.result).toEqual(batches.result);
      expect(scanned.sha).toBe(sha256(readFileSync(path)));
      expect(scanned.records.filter((r) => r instanceof ScannedTrade).length).toBeGreaterThan(1000);
    }
  });

  it.each([
    ['readEventBatches', readEventBatches],
    ['readReplayRecords', readReplayRecords],
  ])('%s gives each line of the shipped event log as parseEventLine reads it', async (_name, read) => {
    const path = join(REPO, 'tests/fixtures/logs/demo-v1.head2700.events.jsonl.gz');
    const { items: records, result: summary } = await drain(read(path, { chunkBytes: 4096 }));
    const batches = await readBatches(path, 4096);
    expect(records.map((r) => ({ line: r.line, lineNo: r.lineNo }))).toEqual(batches.lines);
    expect(records.map((r) => JSON.stringify(r.event))).toEqual(batches.lines.map(({ line, lineNo }) => JSON.stringify(parseEventLine(line, path, lineNo))));
    expect(summary).toEqual(readSummary(batches.result, batches.lines.length));
    // Template trades come as ScannedTrades on the replay path only (readEventBatches' records are plain objects).
    const templates = records.filter((r) => isTemplateTrade(r.line, r.event)).length;
    expect(templates).toBeGreaterThan(1000);
    expect(records.filter((r) => r instanceof ScannedTrade).length).toBe(read === readReplayRecords ? templates : 0);
  });

  it.each([
    ['without its trailer', (gz: Buffer) => gz.subarray(0, gz.length - 8)],
    ['cut in half', (gz: Buffer) => gz.subarray(0, Math.floor(gz.length / 2))],
    ['cut after its header', (gz: Buffer) => gz.subarray(0, 20)],
  ])('a truncated gzip (%s) is the same InputError from both readers', async (_name, cut) => {
    const path = newPath('truncated.jsonl.gz');
    writeFileSync(path, cut(gzipSync(long)));
    const fromScanned = await readError(() => readScanned(path));
    const fromBatches = await readError(() => readBatches(path));
    expect(fromScanned).toBeInstanceOf(InputError);
    expect(fromBatches).toBeInstanceOf(InputError);
    expect(fromScanned.message).toBe(fromBatches.message);
    expect(fromScanned.message).toContain(path);
    expect(fromScanned.message).toMatch(/corrupt or truncated gzip data after \d+ complete lines/);
  });
});
