/** `btc-updown-15m-*`: an Up/Down slug pattern whose windows can be listed from a date range alone. */
const UPDOWN = /^([a-z]+)-updown-(\d+)m-\*$/;

/** The window slugs of an Up/Down pattern from `fromMs` (inclusive) to `toMs` (exclusive), or null for another pattern. */
export function upDownSlugs(pattern: string, fromMs: number, toMs: number): string[] | null {
  const m = UPDOWN.exec(pattern);
  if (!m) return null;
  const step = Number(m[2]) * 60;
  const out: string[] = [];
  for (let s = Math.ceil(fromMs / 1000 / step) * step; s * 1000 < toMs; s += step) out.push(`${m[1]}-updown-${m[2]}m-${s}`);
  return out;
}

/** A slug glob (`*` any run of characters) as a matcher. */
export function slugMatcher(pattern: string): (slug: string) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (slug) => re.test(slug);
}

/** The window start (s) a `…-updown-<N>m-<start>` slug names, or null. */
export function upDownStartSec(slug: string): number | null {
  const m = /-updown-\d+m-(\d{9,11})$/.exec(slug);
  return m ? Number(m[1]) : null;
}
