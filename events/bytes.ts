/** Writing numbers and text as bytes into a buffer: the one rule for the lines the log renders without JSON.stringify. */
import { POW10 as POW10_OF } from './exactDecimal';
import type { RenderedLine } from './log';

/** The widest safe integer's text: a sign and 16 digits. */
export const INTEGER_MAX_BYTES = 17;

let scratch = Buffer.alloc(1024);

/** A buffer of at least `bytes` to render text into before it is read out at once (one, shared: never held). */
export function scratchOf(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.alloc(bytes);
  return scratch;
}

/** A rendered line as text, with `seq` (for a caller that needs the string, not the log's bytes). */
export function renderedText(line: RenderedLine, seq: number): string {
  const buf = scratchOf(line.maxLineBytes);
  return buf.toString('utf8', 0, line.render(buf, 0, seq));
}

/** Read once (an imported binding is a getter call under tsx's CommonJS: events/tradeTemplate.ts); `digitCount` runs per number written. */
const POW10 = POW10_OF;

/** How many decimal digits a non-negative safe integer has (by comparisons, no division; times and trade ids start past the short ones). */
export function digitCount(n: number): number {
  let d = n >= 1e8 ? 9 : 1;
  while (d < 16 && n >= POW10[d]) d++;
  return d;
}

/** Writes the decimal digits of a non-negative safe integer at `p`; returns the offset after them. */
export function putDigits(buf: Buffer, p: number, n: number): number {
  if (n > 0x7fffffff) {
    // Up to 2^53 (times and trade ids): the digits above the last nine, then those nine, zero-padded.
    const high = Math.floor(n / 1e9);
    if (high > 0x7fffffff || n !== Math.floor(n)) return p + buf.write(String(n), p, 'latin1');
    const end = putDigits(buf, p, high) + 9;
    let low = n - high * 1e9;
    for (let q = end; q > end - 9; ) {
      const d = (low / 10) | 0;
      buf[--q] = 48 + low - d * 10;
      low = d;
    }
    return end;
  }
  // Small integer arithmetic (n fits in 31 bits): no float division.
  const end = p + digitCount(n);
  let q = end;
  do {
    const d = (n / 10) | 0;
    buf[--q] = 48 + n - d * 10;
    n = d;
  } while (n > 0);
  return end;
}

/** Copies a few bytes (a template's piece) to `p`, a loop being cheaper than `set` for so few; returns the offset after them. */
export function putBytes(out: Buffer, p: number, bytes: Buffer): number {
  const n = bytes.length;
  for (let i = 0; i < n; i++) out[p + i] = bytes[i];
  return p + n;
}

/** Writes ASCII text (digits, a number's text, a plain string's characters) at `p`, a byte a character; returns the offset after it. */
export function putAscii(out: Buffer, p: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) out[p + i] = text.charCodeAt(i);
  return p + n;
}
