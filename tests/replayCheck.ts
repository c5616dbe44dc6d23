/** Test helper: checks a replayed event log line by line against the tick lines and the naive reference. */
import { naiveSignals, tickLine, type RecordedTrade, type ReferenceParams, type ReferenceSignal } from './streamsReference';

/**
 * Checks a replayed log against the tick lines and an independent recomputation: every input line
 * copied through unchanged but for seq, each signal right after its trade with exactly the fields
 * of the reference, seq numbering the lines.
 */
export function checkReplayedLog(logText: string, list: RecordedTrade[], params: ReferenceParams): { signals: number; confirmed: number; reference: ReferenceSignal[] } {
  const lines = logText.split('\n');
  expect(lines.pop()).toBe('');
  const reference = naiveSignals(list, params);
  let ti = 0;
  let si = 0;
  lines.forEach((line, i) => {
    const seq = i + 1;
    if (ti < list.length && line === tickLine(seq, list[ti])) {
      ti++;
      return;
    }
    const ref = reference[si++];
    expect(ref).toBeDefined();
    const trade = list[ti - 1];
    expect(trade.t).toBe(ref.tradeId);
    // the contract's line shape and key order, then every field
    expect(line.startsWith(`{"v":1,"seq":${seq},"ts":${trade.T},"type":"signal","symbol":"${trade.symbol}","tradeId":${trade.t},"change":`)).toBe(true);
    expect(JSON.parse(line)).toEqual({
      v: 1,
      seq,
      ts: ref.ts,
      type: 'signal',
      symbol: ref.symbol,
      tradeId: ref.tradeId,
      change: ref.change,
      direction: ref.direction,
      confirmed: ref.confirmed,
      price: trade.p,
      qty: trade.q,
      avgQty: ref.avgQty,
    });
  });
  expect(ti).toBe(list.length);
  expect(si).toBe(reference.length);
  return { signals: reference.length, confirmed: reference.filter((r) => r.confirmed).length, reference };
}
