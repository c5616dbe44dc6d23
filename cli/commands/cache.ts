import type { Command } from 'commander';
import { buildTickCache, DEFAULT_TICK_CACHE_DIR } from '../../actors/tickCache';

interface CacheCommandOptions {
  dir: string;
}

/** `pma cache TICKS... [--dir DIR]`. */
export function register(program: Command): void {
  program
    .command('cache')
    .description(
      'Write the columnar form of tick files (typed-array columns, docs/backtest.md "Columnar tick cache") to DIR/<sha256>.cols, ' +
        'keyed by each file\u2019s SHA-256; `pma backtest --tick-cache DIR` and `pma replay --tick-cache DIR` then read it instead of ' +
        'parsing the JSON, with byte-identical results. The JSON tick file stays the interchange format; the cache is derived ' +
        '(delete and rebuild at will). A cache for the same content is kept, not rebuilt.',
    )
    .argument('<ticks...>', 'tick files (plain or gzip)')
    .option('--dir <dir>', 'cache folder', DEFAULT_TICK_CACHE_DIR)
    .addHelpText('after', `\nExamples:\n  pma cache data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz\n  pma backtest data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --tick-cache ${DEFAULT_TICK_CACHE_DIR} --report out/demo\n`)
    .action(async (ticks: string[], opts: CacheCommandOptions) => {
      for (const c of await buildTickCache(ticks, opts.dir)) {
        const h = c.header;
        process.stdout.write(`${c.built ? 'wrote' : 'kept'} ${c.cache}: ${h.rows} events of ${c.file} (${h.rows - h.verbatimRows} trades in columns, ${h.verbatimRows} lines verbatim)\n`);
      }
    });
}
