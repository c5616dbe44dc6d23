import { exactQuotient } from '../events/exactDecimal';

/**
 * `Number(s)` for a decimal string, faster on the replay path for the usual price or quantity: with
 * at most 15 digits the digits form an exact integer below 2^53 and the divisor an exact power of
 * ten, so the one correctly rounded division gives the double nearest the decimal, which is what
 * `Number` returns. Anything else (more digits, signs, exponents, junk) goes to `Number`.
 */
export function decimalNumber(s: string): number {
  const n = s.length;
  if (n === 0 || n > 16) return Number(s);
  let digits = 0;
  let dot = -1;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && dot < 0 && i > 0 && i < n - 1) {
      dot = i;
    } else {
      return Number(s);
    }
  }
  if (digits > 15) return Number(s);
  return dot < 0 ? m : exactQuotient(m, n - 1 - dot, s);
}
