import { closeSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { readEventBatches, parseEventLine, putAscii, putBytes, putDigits, type LogRecord, type ReadSummary, type TornTail } from './log';
import type { TradeEvent } from './types';

/**
 * The columnar tick cache (docs/backtest.md, "Columnar tick cache"): a tick file's events as typed-array
 * columns, derived from the JSON tick file (which stays the interchange format) and keyed by its
 * SHA-256. Reading it gives the same records, line text included, as reading the JSON file, without
 * `JSON.parse` for a trade.
 *
 * Layout (little-endian):
 * - `PMACOLS1` (8 bytes), then blocks until the trailer;
 * - a block: u32 rows `n`, u32 payload bytes, then the payload: f64 columns `ts`, `seq`, `tradeId`,
 *   `lineNo`, `priceMantissa`, `qtyMantissa` (n each), u16 `symbol` (index into the trailer's symbols),
 *   u8 `priceScale`, u8 `qtyScale`, u8 `flags` (bit 0 buyerMaker, bit 1 verbatim), then for each
 *   verbatim row in order: u32 byte length and the line's UTF-8 bytes;
 * - the trailer: the header as UTF-8 JSON (`ColumnarHeader`), u32 its byte length, `PMACOLS1`.
 *
 * A trade line that is exactly what the trade template renders from its fields (every line
 * `pma import` writes) is stored in the columns; any other line (other event types, other key orders
 * or number forms) verbatim, parsed when read. A decimal is `mantissa / 10^scale`, printed with
 * exactly `scale` decimals, so "0.02000000" comes back as it was written.
 */
export const COLUMNAR_MAGIC = 'PMACOLS1';
export const COLUMNAR_VERSION = 1;
const ROWS_PER_BLOCK = 65_536;
/** Records the reader yields at a time (a block is read at once, its records made in batches). */
const ROWS_PER_BATCH = 2_048;
const F64_COLUMNS = 6;
const FLAG_BUYER_MAKER = 1;
const FLAG_VERBATIM = 2;

export interface ColumnarHeader {
  format: 'pma-columnar-ticks';
  version: number;
  /** The JSON tick file this was built from: its SHA-256 (the cache key), size and name. */
  source: { sha256: string; bytes: number; name: string };
  rows: number;
  /** Rows stored as their original line (not trades in the template form). */
  verbatimRows: number;
  symbols: string[];
  /** The source's read summary (lines, events, torn tail), returned by the reader as the JSON reader would. */
  summary: ReadSummary;
}

/** Exact powers of ten as doubles (10^22 is the largest that is exact). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The trade template: the line `pma import` writes for a trade, as the text between its fields
 * (`{"v":1,"seq":` SEQ `,"ts":` TS ... `"buyerMaker":` true|false `}`). One rule for the text the cache
 * checks a line against, the line a record gives back, and the bytes written straight into a log.
 */
const TEMPLATE = ['{"v":1,"seq":', ',"ts":', ',"type":"trade","venue":"binance","symbol":"', '","tradeId":', ',"price":"', '","qty":"', '","buyerMaker":'].map((t) => Buffer.from(t, 'latin1'));
const [T_SEQ, T_TS, T_SYMBOL, T_TRADE_ID, T_PRICE, T_QTY, T_BUYER_MAKER] = TEMPLATE;
const TRUE_END = Buffer.from('true}', 'latin1');
const FALSE_END = Buffer.from('false}', 'latin1');
/** The widest safe integer's text: a sign and 16 digits. */
const INTEGER_MAX_BYTES = 17;
/** Template bytes plus the widest seq, ts and tradeId and the longest flag. */
const TEMPLATE_MAX_BYTES = TEMPLATE.reduce((n, t) => n + t.length, 0) + 3 * INTEGER_MAX_BYTES + FALSE_END.length;

/**
 * The text of a safe integer (seq, ts, tradeId: validated as such when read), kept from one call to the
 * next: each of these is mostly a little above the last one written (the next seq, a ts of the same
 * or a later ms, the next trade id), so the digits are carried forward from the last ones instead of
 * all made again (a division by ten per digit was the larger part of rendering a trade's line).
 */
export class IntegerText {
  private value = NaN;
  private length = 0;
  /** The text's bytes, from 0 (a sign and 16 digits at most). */
  private readonly bytes = Buffer.alloc(INTEGER_MAX_BYTES);

  /** Writes `n`'s text at `p`; returns the offset after it. */
  write(out: Buffer, p: number, n: number): number {
    if (n !== this.value) this.update(n);
    const bytes = this.bytes;
    const length = this.length;
    for (let i = 0; i < length; i++) out[p + i] = bytes[i];
    return p + length;
  }

  private update(n: number): void {
    const delta = n - this.value;
    if (delta > 0 && delta < CARRY_LIMIT && this.value >= 0 && Number.isSafeInteger(n)) {
      // Add to the last digit, carrying left; a carry past the first digit (999 -> 1000) writes all anew.
      const bytes = this.bytes;
      let carry = delta;
      for (let i = this.length - 1; i >= 0 && carry > 0; i--) {
        const sum = bytes[i] - 48 + carry;
        carry = (sum / 10) | 0;
        bytes[i] = 48 + sum - carry * 10;
      }
      if (carry === 0) {
        this.value = n;
        return;
      }
    }
    this.length = n >= 0 && Number.isSafeInteger(n) ? putDigits(this.bytes, 0, n) : this.bytes.write(String(n), 0, 'latin1');
    this.value = n;
  }
}

/** Steps up to this are carried digit by digit (small integer arithmetic); a larger one writes the text anew. */
const CARRY_LIMIT = 1 << 20;

/** What renders the trades of one reader (or one check): the texts of the last seq and ts written. */
class TradeLineDigits {
  readonly seq = new IntegerText();
  readonly ts = new IntegerText();
}

/** One symbol's part of the template and the text of its last trade id. */
class SymbolLine {
  readonly tradeId = new IntegerText();
  constructor(readonly part: Buffer) {}
}

/** The length of a safe integer's text. */
function integerLength(n: number): number {
  if (n < 0) return String(n).length;
  // Times and trade ids have ten digits or more: start past the short ones.
  let d = n >= 1e8 ? 9 : 1;
  while (d < 16 && n >= POW10[d]) d++;
  return d;
}

/**
 * Writes `mantissa / 10^scale` with exactly `scale` decimals (at least one digit before the point)
 * at `p`; returns the offset after it. The one rule for a cached decimal's text.
 */
function putDecimal(out: Buffer, p: number, mantissa: number, scale: number): number {
  let digits = 1;
  while (digits < 16 && mantissa >= POW10[digits]) digits++;
  const width = digits > scale ? digits : scale + 1;
  const end = p + width + (scale > 0 ? 1 : 0);
  // Right to left, the point before digit `scale` (counted from the last); 31-bit integer arithmetic.
  let q = end;
  let k = 0;
  let m = mantissa;
  if (m > 0x7fffffff) {
    const high = Math.floor(m / 1e9);
    let low = m - high * 1e9;
    for (; k < 9; k++) {
      if (k === scale && k > 0) out[--q] = 46;
      const d = (low / 10) | 0;
      out[--q] = 48 + low - d * 10;
      low = d;
    }
    m = high;
  }
  for (; k < width; k++) {
    if (k === scale && k > 0) out[--q] = 46;
    const d = (m / 10) | 0;
    out[--q] = 48 + m - d * 10;
    m = d;
  }
  return end;
}

/**
 * Writes a trade's line from `seq` on into `out` at `at` (room checked by the caller); returns the
 * offset after it. `price` and `qty` are `decimalText` of the stored mantissa and scale.
 */
function writeTradeLine(out: Buffer, at: number, digits: TradeLineDigits, seq: number, ts: number, symbol: SymbolLine, tradeId: number, price: string, qty: string, buyerMaker: boolean): number {
  let p = putBytes(out, at, T_SEQ);
  p = digits.seq.write(out, p, seq);
  p = putBytes(out, p, T_TS);
  p = digits.ts.write(out, p, ts);
  out.set(symbol.part, p);
  p = symbol.tradeId.write(out, p + symbol.part.length, tradeId);
  p = putBytes(out, p, T_PRICE);
  p = putAscii(out, p, price);
  p = putBytes(out, p, T_QTY);
  p = putAscii(out, p, qty);
  p = putBytes(out, p, T_BUYER_MAKER);
  return putBytes(out, p, buyerMaker ? TRUE_END : FALSE_END);
}

/** The template from after the ts to the tradeId, with a symbol's UTF-8 bytes: the same for all its trades. */
function symbolPart(symbol: string): Buffer {
  return Buffer.concat([T_SYMBOL, Buffer.from(symbol, 'utf8'), T_TRADE_ID]);
}

/** Room a trade's line may take (digits, decimals as long as the event's texts, the symbol's part). */
function tradeLineMaxBytes(t: TradeEvent, symbolPart: Buffer): number {
  return TEMPLATE_MAX_BYTES + symbolPart.length + t.price.length + t.qty.length;
}

let scratch = Buffer.alloc(1024);

function scratchOf(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.alloc(bytes);
  return scratch;
}

/** A trade's line as text (the template rendered with `seq`; `price` and `qty` as exact mantissa and scale). */
function tradeLineText(seq: number, t: TradeEvent, price: [number, number], qty: [number, number]): string {
  const symbol = new SymbolLine(symbolPart(t.symbol));
  const buf = scratchOf(tradeLineMaxBytes(t, symbol.part));
  return buf.toString('utf8', 0, writeTradeLine(buf, 0, new TradeLineDigits(), seq, t.ts, symbol, t.tradeId, decimalText(price[0], price[1]), decimalText(qty[0], qty[1]), t.buyerMaker));
}

/** Slots of a `DecimalTexts` table: 2^DECIMAL_SLOT_BITS. */
const DECIMAL_SLOT_BITS = 13;
const DECIMAL_SLOTS = 1 << DECIMAL_SLOT_BITS;

/**
 * Decimal texts already made, in a direct-mapped table: a multiplicative hash of the mantissa's low 32
 * bits and the scale picks its slot (its top bits: the mantissa's low bits alone crowded quantities,
 * which mostly end in zeros, into an eighth of the slots), a new text replaces the one there. Bounded,
 * and no number boxed per lookup (a map keyed by mantissas above 2^31 boxed each one): prices and
 * quantities repeat from one trade to the next.
 */
class DecimalTexts {
  private readonly mantissas = new Float64Array(DECIMAL_SLOTS).fill(-1);
  private readonly scales = new Uint8Array(DECIMAL_SLOTS);
  private readonly texts: string[] = new Array<string>(DECIMAL_SLOTS).fill('');

  of(mantissa: number, scale: number): string {
    const slot = Math.imul((mantissa >>> 0) ^ scale, 0x9e3779b1) >>> (32 - DECIMAL_SLOT_BITS);
    if (this.mantissas[slot] === mantissa && this.scales[slot] === scale) return this.texts[slot];
    const text = decimalText(mantissa, scale);
    this.mantissas[slot] = mantissa;
    this.scales[slot] = scale;
    this.texts[slot] = text;
    return text;
  }
}

/** `mantissa / 10^scale` as a decimal string with exactly `scale` decimals. */
function decimalText(mantissa: number, scale: number): string {
  const buf = scratchOf(scale + 18);
  return buf.toString('latin1', 0, putDecimal(buf, 0, mantissa, scale));
}

/** A non-negative decimal string as an exact (mantissa, scale), or null when it has no exact form. */
function splitDecimal(text: string): [number, number] | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (m === null) return null;
  const frac = m[2] ?? '';
  if (frac.length > 255) return null;
  const mantissa = Number(m[1] + frac);
  if (!Number.isSafeInteger(mantissa)) return null;
  return decimalText(mantissa, frac.length) === text ? [mantissa, frac.length] : null;
}

class BlockWriter {
  private readonly f64 = Array.from({ length: F64_COLUMNS }, () => new Float64Array(ROWS_PER_BLOCK));
  private readonly symbol = new Uint16Array(ROWS_PER_BLOCK);
  private readonly priceScale = new Uint8Array(ROWS_PER_BLOCK);
  private readonly qtyScale = new Uint8Array(ROWS_PER_BLOCK);
  private readonly flags = new Uint8Array(ROWS_PER_BLOCK);
  private verbatim: Buffer[] = [];
  private n = 0;
  readonly symbols: string[] = [];
  private readonly symbolIndex = new Map<string, number>();
  rows = 0;
  verbatimRows = 0;

  constructor(private readonly fd: number) {}

  add(r: LogRecord): void {
    const i = this.n;
    const e = r.event;
    this.f64[0][i] = e.ts;
    this.f64[1][i] = e.seq;
    this.f64[3][i] = r.lineNo;
    const t = e.type === 'trade' ? (e as TradeEvent) : null;
    const price = t ? splitDecimal(t.price) : null;
    const qty = t ? splitDecimal(t.qty) : null;
    let stored = false;
    if (t && price && qty && typeof t.buyerMaker === 'boolean' && Number.isSafeInteger(t.tradeId) && tradeLineText(t.seq, t, price, qty) === r.line) {
      let s = this.symbolIndex.get(t.symbol);
      if (s === undefined && this.symbols.length < 65_535) {
        s = this.symbols.push(t.symbol) - 1;
        this.symbolIndex.set(t.symbol, s);
      }
      if (s !== undefined) {
        this.f64[2][i] = t.tradeId;
        this.f64[4][i] = price[0];
        this.f64[5][i] = qty[0];
        this.priceScale[i] = price[1];
        this.qtyScale[i] = qty[1];
        this.symbol[i] = s;
        this.flags[i] = t.buyerMaker ? FLAG_BUYER_MAKER : 0;
        stored = true;
      }
    }
    if (!stored) {
      const bytes = Buffer.from(r.line, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      this.verbatim.push(len, bytes);
      this.flags[i] = FLAG_VERBATIM;
      this.symbol[i] = 0;
      this.verbatimRows++;
    }
    this.n++;
    this.rows++;
    if (this.n === ROWS_PER_BLOCK) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const parts: Buffer[] = [];
    for (const col of this.f64) parts.push(Buffer.from(col.buffer, 0, n * 8));
    parts.push(Buffer.from(this.symbol.buffer, 0, n * 2), Buffer.from(this.priceScale.buffer, 0, n), Buffer.from(this.qtyScale.buffer, 0, n), Buffer.from(this.flags.buffer, 0, n), ...this.verbatim);
    const payload = Buffer.concat(parts);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(n, 0);
    head.writeUInt32LE(payload.length, 4);
    writeAll(this.fd, head);
    writeAll(this.fd, payload);
    this.verbatim = [];
    this.n = 0;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Writes the columnar form of the tick file `source` (whose SHA-256 is `sha256`) to `target`
 * (through a temp file renamed into place: a reader never sees half a cache). Every line is read and
 * checked as `pma backtest` would read it.
 */
export async function writeColumnar(source: string, sha256: string, target: string, name = source): Promise<ColumnarHeader> {
  const tmp = `${target}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, Buffer.from(COLUMNAR_MAGIC, 'latin1'));
    const w = new BlockWriter(fd);
    const gen = readEventBatches(source);
    let summary: ReadSummary;
    for (;;) {
      const next = await gen.next();
      if (next.done) {
        summary = next.value;
        break;
      }
      for (const r of next.value) w.add(r);
    }
    w.flush();
    const header: ColumnarHeader = { format: 'pma-columnar-ticks', version: COLUMNAR_VERSION, source: { sha256, bytes: fstatSizeOf(source), name }, rows: w.rows, verbatimRows: w.verbatimRows, symbols: w.symbols, summary };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    writeAll(fd, Buffer.concat([json, len, Buffer.from(COLUMNAR_MAGIC, 'latin1')]));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
  return readColumnarHeader(target);
}

function fstatSizeOf(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** The trailer's header, checked (magic at both ends, version); throws naming the file otherwise. */
export function readColumnarHeader(path: string): ColumnarHeader {
  const fd = openSync(path, 'r');
  try {
    return headerOf(fd, path).header;
  } finally {
    closeSync(fd);
  }
}

function headerOf(fd: number, path: string): { header: ColumnarHeader; blocksEnd: number } {
  const size = fstatSync(fd).size;
  const bad = (why: string) => new Error(`${path}: not a columnar tick cache (${why}); rebuild it with pma cache`);
  if (size < 8 + 12) throw bad('too short');
  const head = Buffer.alloc(8);
  readSync(fd, head, 0, 8, 0);
  const tail = Buffer.alloc(12);
  readSync(fd, tail, 0, 12, size - 12);
  if (head.toString('latin1') !== COLUMNAR_MAGIC || tail.subarray(4).toString('latin1') !== COLUMNAR_MAGIC) throw bad('no PMACOLS1 magic');
  const len = tail.readUInt32LE(0);
  const json = Buffer.alloc(len);
  readSync(fd, json, 0, len, size - 12 - len);
  const header = JSON.parse(json.toString('utf8')) as ColumnarHeader;
  if (header.format !== 'pma-columnar-ticks' || header.version !== COLUMNAR_VERSION) throw bad(`format ${header.format} version ${header.version}`);
  return { header, blocksEnd: size - 12 - len };
}

/** One block's columns, shared by its rows' records. */
class ColumnarBlock {
  constructor(
    readonly seq: Float64Array,
    readonly priceM: Float64Array,
    readonly priceScale: Uint8Array,
    readonly qtyM: Float64Array,
    readonly qtyScale: Uint8Array,
    readonly symbol: Uint16Array,
    /** Each symbol's part of the template and last trade id, by index. */
    readonly symbolLines: readonly SymbolLine[],
    /** The reader's last seq and ts written. */
    readonly digits: TradeLineDigits,
  ) {}
}

/**
 * A trade read from the columnar cache: the same event as the JSON reader's, and its line, which is
 * not built: `render` writes it (under a new seq) straight into a log's output buffer, and `line`
 * renders it as text only for a caller that asks. Its price and quantity come as exact doubles too.
 */
export class ColumnarTrade implements LogRecord {
  constructor(
    readonly event: TradeEvent,
    readonly lineNo: number,
    private readonly block: ColumnarBlock,
    private readonly row: number,
  ) {}

  /** The line as stored in the tick file (the template with the file's seq). */
  get line(): string {
    const buf = scratchOf(this.maxLineBytes);
    return buf.toString('utf8', 0, this.render(buf, 0, this.block.seq[this.row]));
  }

  /** `line.length` without building the line. */
  get lineLength(): number {
    const e = this.event;
    return TEMPLATE_MAX_BYTES - 3 * INTEGER_MAX_BYTES - (e.buyerMaker ? 1 : 0) + integerLength(this.block.seq[this.row]) + integerLength(e.ts) + integerLength(e.tradeId) + e.symbol.length + e.price.length + e.qty.length;
  }

  /** Bytes `render` may write at most. */
  get maxLineBytes(): number {
    return tradeLineMaxBytes(this.event, this.symbolLine.part);
  }

  /** Writes the line with `seq` into `out` at `at` (with room for `maxLineBytes`); returns the offset after it. */
  render(out: Buffer, at: number, seq: number): number {
    const { block, row, event } = this;
    // The event's price and quantity are the reader's `decimalText` of the row's mantissas and scales.
    return writeTradeLine(out, at, block.digits, seq, event.ts, this.symbolLine, event.tradeId, event.price, event.qty, event.buyerMaker);
  }

  /** `Number(event.price)`, from the columns: an exact mantissa over an exact power of ten is the correctly rounded double. */
  get priceNumber(): number {
    return exactQuotient(this.block.priceM[this.row], this.block.priceScale[this.row], this.event.price);
  }

  /** `Number(event.qty)`, as `priceNumber`. */
  get qtyNumber(): number {
    return exactQuotient(this.block.qtyM[this.row], this.block.qtyScale[this.row], this.event.qty);
  }

  private get symbolLine(): SymbolLine {
    return this.block.symbolLines[this.block.symbol[this.row]];
  }
}

function exactQuotient(mantissa: number, scale: number, text: string): number {
  return scale < POW10.length ? mantissa / POW10[scale] : Number(text);
}

/**
 * Reads a columnar cache as `readEventBatches` reads its source: the same records (event, line,
 * lineNo) in the same order, one block at a time (memory does not grow with the file), and the
 * source's read summary. Trades from the columns are `ColumnarTrade` records (their lines rendered
 * when written, not built). `path` names the source in error messages.
 */
export async function* readColumnarBatches(cachePath: string, path: string): AsyncGenerator<LogRecord[], ReadSummary> {
  const fd = openSync(cachePath, 'r');
  try {
    const { header, blocksEnd } = headerOf(fd, cachePath);
    const symbols = header.symbols;
    const symbolLines = symbols.map((s) => new SymbolLine(symbolPart(s)));
    const digits = new TradeLineDigits();
    // Prices and quantities repeat: one string each while they do (a table of a few thousand, no more).
    const prices = new DecimalTexts();
    const quantities = new DecimalTexts();
    const head = Buffer.alloc(8);
    let pos = 8;
    while (pos < blocksEnd) {
      readSync(fd, head, 0, 8, pos);
      const n = head.readUInt32LE(0);
      const bytes = head.readUInt32LE(4);
      // Its own ArrayBuffer, so the f64 columns are aligned.
      const payload = new Uint8Array(bytes);
      readSync(fd, payload, 0, bytes, pos + 8);
      pos += 8 + bytes;
      const col = (k: number) => new Float64Array(payload.buffer, k * n * 8, n);
      const [ts, seq, tradeId, lineNo, priceM, qtyM] = [col(0), col(1), col(2), col(3), col(4), col(5)];
      let off = F64_COLUMNS * n * 8;
      const symbol = new Uint16Array(payload.buffer.slice(off, off + n * 2));
      off += n * 2;
      const priceScale = payload.subarray(off, off + n);
      const qtyScale = payload.subarray(off + n, off + 2 * n);
      const flags = payload.subarray(off + 2 * n, off + 3 * n);
      const block = new ColumnarBlock(seq, priceM, priceScale, qtyM, qtyScale, symbol, symbolLines, digits);
      let vpos = off + 3 * n;
      const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      // Records are made a batch at a time, so they die young (a whole block of them would outlive scavenges).
      for (let start = 0; start < n; start += ROWS_PER_BATCH) {
        const end = Math.min(n, start + ROWS_PER_BATCH);
        const out: LogRecord[] = new Array(end - start);
        for (let i = start; i < end; i++) {
          const f = flags[i];
          if (f & FLAG_VERBATIM) {
            const len = view.readUInt32LE(vpos);
            const line = view.toString('utf8', vpos + 4, vpos + 4 + len);
            vpos += 4 + len;
            out[i - start] = { event: parseEventLine(line, path, lineNo[i]), line, lineNo: lineNo[i] };
            continue;
          }
          const price = prices.of(priceM[i], priceScale[i]);
          const qty = quantities.of(qtyM[i], qtyScale[i]);
          const event: TradeEvent = { v: 1, seq: seq[i], ts: ts[i], type: 'trade', venue: 'binance', symbol: symbols[symbol[i]], tradeId: tradeId[i], price, qty, buyerMaker: (f & FLAG_BUYER_MAKER) !== 0 };
          out[i - start] = new ColumnarTrade(event, lineNo[i], block, i);
        }
        yield out;
      }
    }
    return header.summary;
  } finally {
    closeSync(fd);
  }
}

export type { TornTail };
