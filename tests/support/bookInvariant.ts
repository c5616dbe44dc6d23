import Big from 'big.js';

/** A logged event as JSON (the fields this check reads). */
export type LoggedEvent = Record<string, unknown> & { ts: number; type: string };

interface BookSeen {
  ts: number;
  index: number;
  bids: { price: string; size: string }[];
  asks: { price: string; size: string }[];
}

/**
 * The "one instant, one state" invariant over an event log, computed from the log alone: every order
 * intent and every fill must come after every book (of its own token and of the other tokens of its
 * market) whose ts is at or before its own, and a fill's average price must lie within the levels of
 * the newest such book of its token (asks for a BUY, bids for a SELL). Returns one line per violation.
 */
export function staleBookViolations(log: readonly LoggedEvent[]): string[] {
  const books = new Map<string, BookSeen[]>();
  const tokensOf = new Map<string, Set<string>>();
  log.forEach((e, index) => {
    if (e.type !== 'book') return;
    const token = e.tokenId as string;
    const market = e.market as string;
    if (!books.has(token)) books.set(token, []);
    books.get(token)!.push({ ts: e.ts, index, bids: e.bids as BookSeen['bids'], asks: e.asks as BookSeen['asks'] });
    if (!tokensOf.has(market)) tokensOf.set(market, new Set());
    tokensOf.get(market)!.add(token);
  });
  /** The newest book of `token` with ts <= ts, wherever the log put it. */
  const newest = (token: string, ts: number): BookSeen | null => {
    let best: BookSeen | null = null;
    for (const b of books.get(token) ?? []) if (b.ts <= ts && (best === null || b.ts >= best.ts)) best = b;
    return best;
  };
  const problems: string[] = [];
  log.forEach((e, index) => {
    if (e.type !== 'order_intent' && e.type !== 'fill') return;
    const token = e.tokenId as string;
    const market = e.marketId as string;
    for (const t of new Set([token, ...(tokensOf.get(market) ?? [])])) {
      const b = newest(t, e.ts);
      if (b !== null && b.index > index) problems.push(`${e.type} ${String(e.orderId)} at ${e.ts} came before the book of ${t} at ${b.ts} (log line ${b.index + 1} > ${index + 1})`);
    }
    if (e.type !== 'fill') return;
    const b = newest(token, e.ts);
    if (b === null) return;
    const levels = (e.side === 'BUY' ? b.asks : b.bids).map((l) => new Big(l.price));
    const price = new Big(e.price as string);
    const lo = levels.reduce((m, p) => (p.lt(m) ? p : m), new Big(2));
    const hi = levels.reduce((m, p) => (p.gt(m) ? p : m), new Big(-1));
    if (levels.length === 0 || price.lt(lo) || price.gt(hi)) problems.push(`fill ${String(e.orderId)} at ${e.ts}: ${String(e.side)} @ ${e.price as string} is outside the ${e.side === 'BUY' ? 'asks' : 'bids'} ${lo}..${hi} of the newest book (ts ${b.ts})`);
  });
  return problems;
}
