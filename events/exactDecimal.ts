/** Exact powers of ten as doubles (10^22 is the largest that is exact). */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * `mantissa / 10^scale` as a double, which is `Number(text)` of the decimal `text` it stands for: with both
 * operands exact (a mantissa up to 2^53 - 1, a power of ten up to 10^22) the one correctly rounded
 * division gives the double nearest the decimal, as `Number` does; otherwise `Number(text)`.
 */
export function exactQuotient(mantissa: number, scale: number, text: string): number {
  return scale < POW10.length && mantissa <= Number.MAX_SAFE_INTEGER ? mantissa / POW10[scale] : Number(text);
}
