import { putAscii as putAsciiOf, putBytes as putBytesOf, putDigits as putDigitsOf } from './bytes';
import type { LogRecord, RenderedLine } from './log';
import { exactQuotient as exactQuotientOf, POW10 } from './exactDecimal';
import { eventVersion, type TradeEvent } from './types';


/**
 * The trade template: the line `pma import` and the recorder write for a spot trade, as the text
 * between its fields (`{"v":1,"seq":` SEQ `,"ts":` TS ... `"buyerMaker":` true|false `}`). One rule for
 * the lines the columnar cache stores as columns, the lines a template trade renders into a log, and
 * the lines `scanTradeLine` reads without `JSON.parse`.
 */
const TEMPLATE = [`{"v":${eventVersion('trade')},"seq":`, ',"ts":', ',"type":"trade","venue":"binance","symbol":"', '","tradeId":', ',"price":"', '","qty":"', '","buyerMaker":'].map((t) => Buffer.from(t, 'latin1'));
const [T_SEQ, T_TS, T_SYMBOL, T_TRADE_ID, T_PRICE, T_QTY, T_BUYER_MAKER] = TEMPLATE;
const TRUE_END = Buffer.from('true}', 'latin1');
const FALSE_END = Buffer.from('false}', 'latin1');
/**
 * The log's byte writers, read once: tsx compiles modules to CommonJS, where each use of an imported
 * binding calls a getter of the exporting module (machines/quietStep.ts has the same note).
 */
const putAscii = putAsciiOf;
const exactQuotient = exactQuotientOf;
const putBytes = putBytesOf;
const putDigits = putDigitsOf;
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
export class TradeLineDigits {
  readonly seq = new IntegerText();
  readonly ts = new IntegerText();
}

/** One symbol's part of the template (from after the ts to the tradeId, the symbol's UTF-8 bytes within) and the text of its last trade id. */
export class SymbolLine {
  readonly tradeId = new IntegerText();
  readonly part: Buffer;
  constructor(readonly symbol: string) {
    this.part = Buffer.concat([T_SYMBOL, Buffer.from(symbol, 'utf8'), T_TRADE_ID]);
  }
}

/** The length of a safe integer's text. */
export function integerLength(n: number): number {
  if (n < 0) return String(n).length;
  // Times and trade ids have ten digits or more: start past the short ones.
  let d = n >= 1e8 ? 9 : 1;
  while (d < 16 && n >= POW10[d]) d++;
  return d;
}

/** Room a trade's line may take (digits, decimals as long as the event's texts, the symbol's part). */
export function tradeLineMaxBytes(t: TradeEvent, symbol: SymbolLine): number {
  return TEMPLATE_MAX_BYTES + symbol.part.length + t.price.length + t.qty.length;
}

/**
 * Writes a trade's line from `seq` on into `out` at `at` (room checked by the caller); returns the
 * offset after it.
 */
export function writeTradeLine(out: Buffer, at: number, digits: TradeLineDigits, seq: number, ts: number, symbol: SymbolLine, tradeId: number, price: string, qty: string, buyerMaker: boolean): number {
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

let scratch = Buffer.alloc(1024);

export function scratchOf(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.alloc(bytes);
  return scratch;
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
export class DecimalTexts {
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
export function decimalText(mantissa: number, scale: number): string {
  const buf = scratchOf(scale + 18);
  return buf.toString('latin1', 0, putDecimal(buf, 0, mantissa, scale));
}

/**
 * A trade read as a template line (from the columnar cache, or scanned from a JSON tick file): the
 * same event as `JSON.parse` and the field checks give, and its line, which is not built as text:
 * `render` writes it (under a new seq) straight into a log's output buffer, and `line` renders it as
 * text only for a caller that asks. Its price and quantity come as exact doubles too.
 */
export abstract class TemplateTrade implements LogRecord, RenderedLine {
  abstract readonly event: TradeEvent;
  abstract readonly lineNo: number;
  /** The seq the line has in its file (the event's seq is replaced when a log appends it). */
  protected abstract get fileSeq(): number;
  protected abstract get symbolLine(): SymbolLine;
  protected abstract get digits(): TradeLineDigits;
  /** `Number(event.price)`. */
  abstract get priceNumber(): number;
  /** `Number(event.qty)`. */
  abstract get qtyNumber(): number;

  /** The line as stored in the file (the template with the file's seq). */
  get line(): string {
    const buf = scratchOf(this.maxLineBytes);
    return buf.toString('utf8', 0, this.render(buf, 0, this.fileSeq));
  }

  /** `line.length` without building the line. */
  get lineLength(): number {
    const e = this.event;
    return TEMPLATE_MAX_BYTES - 3 * INTEGER_MAX_BYTES - (e.buyerMaker ? 1 : 0) + integerLength(this.fileSeq) + integerLength(e.ts) + integerLength(e.tradeId) + e.symbol.length + e.price.length + e.qty.length;
  }

  /** Bytes `render` may write at most. */
  get maxLineBytes(): number {
    return tradeLineMaxBytes(this.event, this.symbolLine);
  }

  /** Writes the line with `seq` into `out` at `at` (with room for `maxLineBytes`); returns the offset after it. */
  render(out: Buffer, at: number, seq: number): number {
    const e = this.event;
    return writeTradeLine(out, at, this.digits, seq, e.ts, this.symbolLine, e.tradeId, e.price, e.qty, e.buyerMaker);
  }
}

/**
 * A trade line of a file read by `TradeLineScanner`: its numbers as the scan found them, and its bytes
 * (the read chunk's, which no reader changes once read: fs and gunzip streams hand out a new buffer for
 * each chunk), copied from the ts on when it is rendered.
 */
export class ScannedTrade extends TemplateTrade {
  constructor(
    readonly event: TradeEvent,
    readonly lineNo: number,
    protected readonly fileSeq: number,
    protected readonly symbolLine: SymbolLine,
    protected readonly digits: TradeLineDigits,
    private readonly priceMantissa: number,
    private readonly priceScale: number,
    private readonly qtyMantissa: number,
    private readonly qtyScale: number,
    private readonly bytes: Buffer,
    /** Where the line starts in `bytes`, where its `,"ts":` starts, and where it ends. */
    private readonly start: number,
    private readonly tsAt: number,
    private readonly end: number,
  ) {
    super();
  }

  /** The line as read (ASCII: every byte of a template line is). */
  override get line(): string {
    return latin1(this.bytes, this.start, this.end);
  }

  get priceNumber(): number {
    return exactQuotient(this.priceMantissa, this.priceScale, this.event.price);
  }

  get qtyNumber(): number {
    return exactQuotient(this.qtyMantissa, this.qtyScale, this.event.qty);
  }

  override get lineLength(): number {
    return this.end - this.start;
  }

  /** The widest seq and the line's bytes from its ts on. */
  override get maxLineBytes(): number {
    return T_SEQ.length + INTEGER_MAX_BYTES + this.end - this.tsAt;
  }

  override render(out: Buffer, at: number, seq: number): number {
    const p = this.digits.seq.write(out, putBytes(out, at, T_SEQ), seq);
    const bytes = this.bytes;
    const n = this.end - this.tsAt;
    // A view and `set`: `Buffer.copy` checks its arguments and makes the same view on every call.
    out.set(new Uint8Array(bytes.buffer, bytes.byteOffset + this.tsAt, n), p);
    return p + n;
  }
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const QUOTE = 34;
const UPPER_A = 65;
const UPPER_Z = 90;
const LOWER_T = 116;
/** Digits an integer may have here and still be exact in a double (15 < log10(2^53)). */
const MAX_DIGITS = 15;
/** Longest decimal text read here; longer ones take `JSON.parse` and the field checks. */
const MAX_DECIMAL = 40;

/** A template piece as little-endian 32-bit words and the bytes after the last whole word. */
interface Literal {
  length: number;
  words: Uint32Array;
  tail: Uint8Array;
}

function literalOf(bytes: Buffer): Literal {
  const whole = bytes.length >> 2;
  const words = new Uint32Array(whole);
  for (let i = 0; i < whole; i++) words[i] = bytes.readUInt32LE(4 * i);
  return { length: bytes.length, words, tail: Uint8Array.from(bytes.subarray(4 * whole)) };
}

const [L_SEQ, L_TS, L_SYMBOL, L_TRADE_ID, L_PRICE, L_QTY, L_BUYER_MAKER, L_TRUE_END, L_FALSE_END] = [...TEMPLATE, TRUE_END, FALSE_END].map(literalOf);

/**
 * Reads a file's trade lines from its bytes, without `JSON.parse`: a line in exactly the template's form
 * (no white space, no escapes, integers of 1 to 15 digits without a leading zero, decimals of digits with
 * at most one dot and a non-zero digit, no leading zero but a lone one, symbols of A-Z and 0-9) is the
 * event that `JSON.parse` and the field checks give for it (the same fields with the same values in the
 * same order) as a `ScannedTrade`. Any other line gives null: the caller decodes it and takes
 * `JSON.parse` and the field checks, which also name what is wrong. One scanner per file read.
 */
export class TradeLineScanner {
  private readonly digits = new TradeLineDigits();
  private readonly symbols: SymbolLine[] = [];
  /** Where the scan is: the offset after the last field read. */
  private at = 0;
  /** The last integer's or decimal's digits as a number (a decimal's without its dot), and a decimal's scale. */
  private mantissa = 0;
  private scale = 0;
  private readonly texts = new DecimalTexts();
  private viewed: Buffer | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** The line `buf[start, end)` (no newline) as a trade, or null. */
  scan(buf: Buffer, start: number, end: number, lineNo: number): ScannedTrade | null {
    if (!this.literal(buf, start, end, L_SEQ)) return null;
    const seq = this.integer(buf, end);
    const tsAt = this.at;
    if (seq < 0 || !this.literal(buf, this.at, end, L_TS)) return null;
    const ts = this.integer(buf, end);
    if (ts < 0 || !this.literal(buf, this.at, end, L_SYMBOL)) return null;
    const symbol = this.symbol(buf, end);
    if (symbol === null || !this.literal(buf, this.at, end, L_TRADE_ID)) return null;
    const tradeId = this.integer(buf, end);
    if (tradeId < 0 || !this.literal(buf, this.at, end, L_PRICE)) return null;
    const price = this.decimal(buf, end);
    if (price === null) return null;
    const priceMantissa = this.mantissa;
    const priceScale = this.scale;
    if (!this.literal(buf, this.at, end, L_QTY)) return null;
    const qty = this.decimal(buf, end);
    if (qty === null || !this.literal(buf, this.at, end, L_BUYER_MAKER)) return null;
    const buyerMaker = buf[this.at] === LOWER_T;
    if (!this.literal(buf, this.at, end, buyerMaker ? L_TRUE_END : L_FALSE_END) || this.at !== end) return null;
    const event: TradeEvent = { v: 1, seq, ts, type: 'trade', venue: 'binance', symbol: symbol.symbol, tradeId, price, qty, buyerMaker };
    return new ScannedTrade(event, lineNo, seq, symbol, this.digits, priceMantissa, priceScale, this.mantissa, this.scale, buf, start, tsAt, end);
  }

  /** Whether `literal`'s bytes stand at `p`, compared four at a time (a third of a byte loop's time); moves past them. */
  private literal(buf: Buffer, p: number, end: number, literal: Literal): boolean {
    const n = literal.length;
    if (p + n > end) return false;
    const view = this.viewOf(buf);
    const words = literal.words;
    for (let i = 0; i < words.length; i++) if (view.getUint32(p + 4 * i, true) !== words[i]) return false;
    const tail = literal.tail;
    for (let i = 0, q = p + 4 * words.length; i < tail.length; i++) if (buf[q + i] !== tail[i]) return false;
    this.at = p + n;
    return true;
  }

  /** A view of `buf` for reading words, kept while the lines come from the same read. */
  private viewOf(buf: Buffer): DataView {
    if (buf !== this.viewed) {
      this.viewed = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.view;
  }

  /** A JSON integer of 1 to 15 digits (no leading zero unless it is 0), or -1. */
  private integer(buf: Uint8Array, end: number): number {
    const start = this.at;
    const stop = Math.min(end, start + MAX_DIGITS + 1);
    let value = 0;
    let i = start;
    for (; i < stop; i++) {
      const c = buf[i];
      if (c < DIGIT_0 || c > DIGIT_9) break;
      value = value * 10 + (c - DIGIT_0);
    }
    const digits = i - start;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && buf[start] === DIGIT_0)) return -1;
    this.at = i;
    return value;
  }

  /** A symbol of A-Z and 0-9 up to its closing quote (not moved past), or null. */
  private symbol(buf: Uint8Array, end: number): SymbolLine | null {
    const start = this.at;
    let i = start;
    for (; i < end; i++) {
      const c = buf[i];
      if (!((c >= UPPER_A && c <= UPPER_Z) || (c >= DIGIT_0 && c <= DIGIT_9))) break;
    }
    if (i === start || i === end || buf[i] !== QUOTE) return null;
    this.at = i;
    const length = i - start;
    outer: for (const known of this.symbols) {
      const text = known.symbol;
      if (text.length !== length) continue;
      for (let k = 0; k < length; k++) if (buf[start + k] !== text.charCodeAt(k)) continue outer;
      return known;
    }
    const line = new SymbolLine(String.fromCharCode(...buf.subarray(start, i)));
    // Few symbols, many trades: a file of more takes the long way for the rest.
    if (this.symbols.length >= 64) return null;
    this.symbols.push(line);
    return line;
  }

  /**
   * A positive decimal up to its closing quote (not moved past), as `LogFields.positiveDecimal` accepts
   * it (digits, a leading 0 only as the whole integer part, at most one dot with digits after it, a
   * non-zero digit), or null; `mantissa` and `scale` are its digits and decimals.
   */
  private decimal(buf: Uint8Array, end: number): string | null {
    const start = this.at;
    const stop = Math.min(end, start + MAX_DECIMAL + 1);
    let nonZero = false;
    let dot = -1;
    let mantissa = 0;
    let i = start;
    for (; i < stop; i++) {
      const c = buf[i];
      if (c >= DIGIT_0 && c <= DIGIT_9) {
        if (c !== DIGIT_0) nonZero = true;
        mantissa = mantissa * 10 + (c - DIGIT_0);
      } else if (c === DOT && dot < 0) {
        dot = i;
      } else break;
    }
    if (i === stop || buf[i] !== QUOTE || !nonZero) return null;
    const intDigits = (dot < 0 ? i : dot) - start;
    if (intDigits === 0 || (intDigits > 1 && buf[start] === DIGIT_0) || dot === i - 1) return null;
    this.at = i;
    // Past 2^53 the digits' sum is not exact: exactQuotient then reads the text.
    this.mantissa = mantissa;
    this.scale = dot < 0 ? 0 : i - dot - 1;
    return mantissa <= Number.MAX_SAFE_INTEGER && this.scale < 64 ? this.texts.of(mantissa, this.scale) : latin1(buf, start, i);
  }
}

/** ASCII bytes as a string. */
function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(buf, start, end) as string;
}
