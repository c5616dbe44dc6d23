/**
 * `npm run bench`: runs every benchmark in one process and prints each figure as `name: value`.
 * Figures are ratios measured in the same run (absolute rates depend on the machine).
 */
import * as marketData from './marketData';
import * as serviceBudget from './serviceBudget';
import * as llm from './llm';
import * as books from './books';
import * as replay from './replay';
import * as backtest from './backtest';
import * as supervisor from './supervisor';
import * as model from './model';
import * as sweep from './sweep';

type Bench = { name: string; run(): Promise<Record<string, number | string>> };

const benches: Bench[] = [
  // one module per benchmark under bench/
  marketData,
  serviceBudget,
  llm,
  books,
  replay,
  backtest,
  supervisor,
  model,
  sweep,
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const b of benches) {
    if (only.length > 0 && !only.includes(b.name)) continue;
    const figures = await b.run();
    for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
