/**
 * Per-symbol state of a backtest's observers, with the last symbol's at hand without a map lookup:
 * trades of one symbol come in runs, and every trade asks.
 */
export class BySymbol<S> {
  private readonly states = new Map<string, S>();
  private lastSymbol: string | null = null;
  private last: S | undefined = undefined;

  /** The symbol's state, or undefined when it has none yet. */
  find(symbol: string): S | undefined {
    if (symbol === this.lastSymbol) return this.last;
    const s = this.states.get(symbol);
    if (s !== undefined) {
      this.lastSymbol = symbol;
      this.last = s;
    }
    return s;
  }

  /** The symbol's state, made by `make` the first time it is asked for. */
  get(symbol: string, make: () => S): S {
    let s = this.find(symbol);
    if (s === undefined) this.add(symbol, (s = make()));
    return s;
  }

  add(symbol: string, state: S): void {
    this.states.set(symbol, state);
    this.lastSymbol = symbol;
    this.last = state;
  }

  symbols(): IterableIterator<string> {
    return this.states.keys();
  }

  values(): IterableIterator<S> {
    return this.states.values();
  }
}
