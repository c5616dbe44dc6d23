import { INTEGER_MAX_BYTES, putBytes as putBytesOf } from './bytes';
import { exactQuotient as exactQuotientOf } from './exactDecimal';
import { DecimalTexts, FALSE_END, latin1 as latin1Of, SymbolLine, T_SEQ, TEMPLATE, TemplateTrade, TradeLineDigits, TRUE_END } from './tradeTemplate';
import type { TradeEvent } from './types';

/** Read once (an imported binding is a getter call under tsx's CommonJS: events/tradeTemplate.ts). */
const putBytes = putBytesOf;
const exactQuotient = exactQuotientOf;
const latin1 = latin1Of;

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
    /** The price's and quantity's digits as a number (exact up to 2^53) and their decimals. */
    readonly priceMantissa: number,
    readonly priceScale: number,
    readonly qtyMantissa: number,
    readonly qtyScale: number,
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

/** A template piece and a test of whether its bytes stand at an offset. */
interface Literal {
  length: number;
  /** For an offset with room for the piece: its 32-bit words (little-endian) and the bytes after the last whole one, compared as constants (a third of a byte loop's time, and no loop over arrays of them). */
  at: (view: DataView, buf: Uint8Array, p: number) => boolean;
}

function literalOf(bytes: Buffer): Literal {
  const whole = bytes.length >> 2;
  const tests: string[] = [];
  for (let i = 0; i < whole; i++) tests.push(`view.getUint32(p + ${4 * i}, true) === ${bytes.readUInt32LE(4 * i)}`);
  for (let i = 4 * whole; i < bytes.length; i++) tests.push(`buf[p + ${i}] === ${bytes[i]}`);
  return { length: bytes.length, at: new Function('view', 'buf', 'p', `return ${tests.join(' && ')};`) as Literal['at'] };
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

  /** Whether `literal`'s bytes stand at `p` (by its compiled test); moves past them. */
  private literal(buf: Buffer, p: number, end: number, literal: Literal): boolean {
    if (p + literal.length > end || !literal.at(this.viewOf(buf), buf, p)) return false;
    this.at = p + literal.length;
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
    let mantissa = 0;
    let i = start;
    let c = 0;
    for (; i < stop; i++) {
      c = buf[i];
      if (c < DIGIT_0 || c > DIGIT_9) break;
      mantissa = mantissa * 10 + (c - DIGIT_0);
    }
    const intDigits = i - start;
    let scale = 0;
    if (c === DOT && i < stop) {
      const dot = i++;
      for (; i < stop; i++) {
        c = buf[i];
        if (c < DIGIT_0 || c > DIGIT_9) break;
        mantissa = mantissa * 10 + (c - DIGIT_0);
      }
      scale = i - dot - 1;
      if (scale === 0) return null;
    }
    // No non-zero digit is a mantissa of 0 (a double that has been 1 or more never comes back to 0 here).
    if (i === stop || buf[i] !== QUOTE || mantissa === 0) return null;
    if (intDigits === 0 || (intDigits > 1 && buf[start] === DIGIT_0)) return null;
    this.at = i;
    // Past 2^53 the digits' sum is not exact: exactQuotient then reads the text.
    this.mantissa = mantissa;
    this.scale = scale;
    return mantissa <= Number.MAX_SAFE_INTEGER && scale < 64 ? this.texts.ofBytes(mantissa, scale, buf, start, i) : latin1(buf, start, i);
  }
}
