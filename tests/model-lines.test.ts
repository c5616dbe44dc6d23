import { DEFAULT_MARKET_MODEL } from '../actors/backtest/marketModel';
import { ModelLines } from '../actors/backtest/modelLines';
import { makeEvent } from '../events/types';
import { demoTrades, modelEvents } from './support/modelQuotes';

describe('the model\'s quote lines (ModelLines)', () => {
  it.each([
    ['the default model', DEFAULT_MARKET_MODEL],
    ['5 levels, spread 0.05, quotes every 250 ms', { ...DEFAULT_MARKET_MODEL, levels: 5, spread: 0.05, quoteIntervalMs: 250 }],
  ])('are JSON.stringify of every snapshot and book of the demo file, %s', (_name, params) => {
    const lines = new ModelLines();
    const events = modelEvents(demoTrades(), params);
    let quotes = 0;
    for (const e of events) {
      const line = lines.lineOf(e);
      if (e.type === 'market_resolved') expect(line).toBeNull();
      else {
        expect(line).toBe(JSON.stringify(e));
        quotes++;
      }
    }
    expect(quotes).toBeGreaterThan(2_000);
  });

  it('keep the pieces of the markets the latest snapshot lists, not of every window quoted', () => {
    const lines = new ModelLines();
    const windows = new Set<string>();
    let most = 0;
    let mostMarkets = 0;
    for (const e of modelEvents(demoTrades(), DEFAULT_MARKET_MODEL)) {
      lines.lineOf(e);
      if (e.type !== 'market_snapshot') continue;
      for (const m of e.markets) windows.add(m.id);
      const held = lines.held();
      expect(held.markets).toBe(e.markets.length);
      most = Math.max(most, held.books);
      mostMarkets = Math.max(mostMarkets, held.markets);
    }
    // Each window market has two tokens; a book's pieces go with its market.
    expect(windows.size).toBeGreaterThan(mostMarkets);
    expect(most).toBeLessThanOrEqual(2 * mostMarkets);
  });

  it('leave other events (and recorded quotes) to the log', () => {
    const lines = new ModelLines();
    expect(lines.lineOf(makeEvent('timer', 1, { name: 'tick' }))).toBeNull();
    expect(lines.lineOf(makeEvent('market_snapshot', 1, { source: 'gamma', request: '/markets', markets: [] }))).toBeNull();
    const timer = makeEvent('timer', 1, { name: 'tick' });
    expect(lines.record(timer)).toBe(timer);
  });
});
