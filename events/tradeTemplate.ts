import { digitCount as digitCountOf, INTEGER_MAX_BYTES, putAscii as putAsciiOf, putBytes as putBytesOf, putDigits as putDigitsOf, renderedText, scratchOf } from './bytes';
import type { LogRecord, RenderedLine } from './log';
import { exactQuotient as exactQuotientOf } from './exactDecimal';
import { eventVersion, type TradeEvent } from './types';


/**
 * The trade template: the line `pma import` and the recorder write for a spot trade, as the text
 * between its fields (`{"v":1,"seq":` SEQ `,"ts":` TS ... `"buyerMaker":` true|false `}`). One rule for
 * the lines the columnar cache stores as columns, the lines a template trade renders into a log, and
 * the lines `TradeLineScanner` (events/tradeLine.ts) reads without `JSON.parse`.
 */
export const TEMPLATE = [`{"v":${eventVersion('trade')},"seq":`, ',"ts":', ',"type":"trade","venue":"binance","symbol":"', '","tradeId":', ',"price":"', '","qty":"', '","buyerMaker":'].map((t) => Buffer.from(t, 'latin1'));
export const [T_SEQ, T_TS, T_SYMBOL, T_TRADE_ID, T_PRICE, T_QTY, T_BUYER_MAKER] = TEMPLATE;
export const TRUE_END = Buffer.from('true}', 'latin1');
export const FALSE_END = Buffer.from('false}', 'latin1');
/**
 * The log's byte writers, read once: tsx compiles modules to CommonJS, where each use of an imported
 * binding calls a getter of the exporting module (machines/quietStep.ts has the same note).
 */
const putAscii = putAsciiOf;
const exactQuotient = exactQuotientOf;
const putBytes = putBytesOf;
const putDigits = putDigitsOf;
const digitCount = digitCountOf;
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
  return n < 0 ? String(n).length : digitCount(n);
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



/**
 * Writes `mantissa / 10^scale` with exactly `scale` decimals (at least one digit before the point)
 * at `p`; returns the offset after it. The one rule for a cached decimal's text.
 */
function putDecimal(out: Buffer, p: number, mantissa: number, scale: number): number {
  const digits = digitCount(mantissa);
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

  /** The text of `mantissa / 10^scale`: the one kept, else a new one (`decimalText`). */
  of(mantissa: number, scale: number): string {
    const slot = slotOf(mantissa, scale);
    return this.holds(slot, mantissa, scale) ? this.texts[slot] : this.keep(slot, mantissa, scale, decimalText(mantissa, scale));
  }

  /** `of` for a decimal read from `bytes[start, end)`, which is its text as `decimalText` writes it: a new one is those bytes (not written again). */
  ofBytes(mantissa: number, scale: number, bytes: Uint8Array, start: number, end: number): string {
    const slot = slotOf(mantissa, scale);
    return this.holds(slot, mantissa, scale) ? this.texts[slot] : this.keep(slot, mantissa, scale, latin1(bytes, start, end));
  }

  private holds(slot: number, mantissa: number, scale: number): boolean {
    return this.mantissas[slot] === mantissa && this.scales[slot] === scale;
  }

  private keep(slot: number, mantissa: number, scale: number, text: string): string {
    this.mantissas[slot] = mantissa;
    this.scales[slot] = scale;
    this.texts[slot] = text;
    return text;
  }
}

/** A multiplicative hash of the mantissa's low 32 bits and the scale: its top bits. */
function slotOf(mantissa: number, scale: number): number {
  return Math.imul((mantissa >>> 0) ^ scale, 0x9e3779b1) >>> (32 - DECIMAL_SLOT_BITS);
}

/** ASCII bytes as a string. */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.prototype.latin1Slice.call(buf, start, end) as string;
}

/** `mantissa / 10^scale` as a decimal string with exactly `scale` decimals. */
export function decimalText(mantissa: number, scale: number): string {
  const buf = scratchOf(scale + 18);
  return latin1(buf, 0, putDecimal(buf, 0, mantissa, scale));
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
    return renderedText(this, this.fileSeq);
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
