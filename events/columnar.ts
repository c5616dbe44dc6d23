import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readReplayRecords, parseEventLine, type LogRecord, type ReadSummary, type TornTail } from './log';
import { ScannedTrade } from './tradeLine';
import { exactQuotient } from './exactDecimal';
import { scratchOf } from './bytes';
import { decimalText, DecimalTexts, SymbolLine, TemplateTrade, TradeLineDigits, tradeLineMaxBytes, writeTradeLine } from './tradeTemplate';
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

/** A trade's line as text (the template rendered with `seq`; `price` and `qty` as exact mantissa and scale). */
function tradeLineText(seq: number, t: TradeEvent, price: [number, number], qty: [number, number]): string {
  const symbol = new SymbolLine(t.symbol);
  const buf = scratchOf(tradeLineMaxBytes(t, symbol));
  return buf.toString('utf8', 0, writeTradeLine(buf, 0, new TradeLineDigits(), seq, t.ts, symbol, t.tradeId, decimalText(price[0], price[1]), decimalText(qty[0], qty[1]), t.buyerMaker));
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

/** A trade's price and quantity as the columns hold them. */
interface TradeDecimals {
  priceMantissa: number;
  priceScale: number;
  qtyMantissa: number;
  qtyScale: number;
}

/** Scale a column holds (one byte). */
const MAX_SCALE = 255;

/**
 * A scanned trade's decimals (its line is the template's form: the scanner takes no other), or null
 * when one has more digits than a double holds exactly.
 */
function scannedDecimals(t: ScannedTrade): TradeDecimals | null {
  if (t.priceMantissa > Number.MAX_SAFE_INTEGER || t.qtyMantissa > Number.MAX_SAFE_INTEGER || t.priceScale > MAX_SCALE || t.qtyScale > MAX_SCALE) return null;
  return t;
}

/** A parsed trade's decimals when its line is exactly what the template renders from its fields, else null (the line is then kept verbatim). */
function templateDecimals(t: TradeEvent, line: string): TradeDecimals | null {
  const price = splitDecimal(t.price);
  const qty = splitDecimal(t.qty);
  if (price === null || qty === null || typeof t.buyerMaker !== 'boolean' || !Number.isSafeInteger(t.tradeId) || tradeLineText(t.seq, t, price, qty) !== line) return null;
  return { priceMantissa: price[0], priceScale: price[1], qtyMantissa: qty[0], qtyScale: qty[1] };
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
    const decimals = t === null ? null : r instanceof ScannedTrade ? scannedDecimals(r) : templateDecimals(t, r.line);
    let stored = false;
    if (t !== null && decimals !== null) {
      let s = this.symbolIndex.get(t.symbol);
      if (s === undefined && this.symbols.length < 65_535) {
        s = this.symbols.push(t.symbol) - 1;
        this.symbolIndex.set(t.symbol, s);
      }
      if (s !== undefined) {
        this.f64[2][i] = t.tradeId;
        this.f64[4][i] = decimals.priceMantissa;
        this.f64[5][i] = decimals.qtyMantissa;
        this.priceScale[i] = decimals.priceScale;
        this.qtyScale[i] = decimals.qtyScale;
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
    const gen = readReplayRecords(source);
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
  } catch (err) {
    // A bad line (or a failed write) leaves no half-built cache behind.
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
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

/** A trade read from the columnar cache: its line and numbers from the block's columns. */
export class ColumnarTrade extends TemplateTrade {
  constructor(
    readonly event: TradeEvent,
    readonly lineNo: number,
    private readonly block: ColumnarBlock,
    private readonly row: number,
  ) {
    super();
  }

  protected get fileSeq(): number {
    return this.block.seq[this.row];
  }

  protected get symbolLine(): SymbolLine {
    return this.block.symbolLines[this.block.symbol[this.row]];
  }

  protected get digits(): TradeLineDigits {
    return this.block.digits;
  }

  /** From the columns: an exact mantissa over an exact power of ten is the correctly rounded double. */
  get priceNumber(): number {
    return exactQuotient(this.block.priceM[this.row], this.block.priceScale[this.row], this.event.price);
  }

  get qtyNumber(): number {
    return exactQuotient(this.block.qtyM[this.row], this.block.qtyScale[this.row], this.event.qty);
  }
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
    const symbolLines = symbols.map((s) => new SymbolLine(s));
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
