import { Counter, Gauge, type Registry } from 'prom-client';

/** One labelled sample read at scrape time. */
export type Sample<L extends string> = [labels: Partial<Record<L, string>>, value: number];

/**
 * A counter whose values live elsewhere (an adapter's plain `counters` object): it is rebuilt from
 * `read()` at every scrape, so the adapter stays free of prom-client and the numbers never drift.
 */
export function collectedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Sample<L>[]): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Counter<L>) {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, Math.max(0, value));
    },
  });
}

/** A gauge read at scrape time: exactly the samples `read()` gives appear (none: the gauge is empty). */
export function collectedGauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Sample<L>[]): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Gauge<L>) {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}
