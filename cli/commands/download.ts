import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../actors/config/load';
import { DEFAULT_URLS, downloadHistory } from '../../actors/venues/polymarket/download/download';
import { SystemClock, systemRandom } from '../../events/clock';
import { InputError } from '../../events/errors';
import { terminalProgress } from '../progress';
import { parseTime } from './backtest';

interface DownloadCommandOptions {
  out: string;
  slug: string[];
  pattern?: string;
  from?: string;
  to?: string;
  fidelity: number;
  prices: boolean;
  trades: boolean;
  cache?: string;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a positive integer (minutes)');
  return n;
}

/** `pma download --out TICKS --slug S | --pattern P --from T --to T`: Polymarket history from the public endpoints. */
export function register(program: Command): void {
  program
    .command('download')
    .summary('Polymarket history (Gamma markets, CLOB price history, Data API trades) into a tick file; resumable')
    .description(
      'Fetch Polymarket markets by slug, or every market of a slug pattern in a date range (btc-updown-15m-* windows are ' +
        'counted from the range; other patterns are listed from Gamma\'s closed markets), with CLOB GET /prices-history per ' +
        'outcome token and Data API GET /trades per market (paginated), under the published rate limits, retrying 429 ' +
        '(Retry-After), 5xx and garbage. Every answer is kept in the cache folder: a second run fetches only what is missing. ' +
        'Writes market definitions, prices, trades and recorded outcomes (closed markets) in time order (docs/importers.md). ' +
        'GAMMA_URL, CLOB_URL and DATA_API_URL override the endpoints.',
    )
    .requiredOption('--out <ticks>', 'tick file to write (replaced)')
    .option('--slug <slug>', 'a market slug (repeat for several)', (v: string, all: string[]) => [...all, v], [])
    .option('--pattern <glob>', 'a slug pattern, e.g. btc-updown-15m-* (needs --from and --to)')
    .option('--from <time>', 'range start (ms or ISO 8601), inclusive')
    .option('--to <time>', 'range end (ms or ISO 8601), exclusive')
    .option('--fidelity <minutes>', 'CLOB /prices-history fidelity in minutes', positiveInt, 1)
    .option('--no-prices', 'skip CLOB price history')
    .option('--no-trades', 'skip Data API trades')
    .option('--cache <dir>', 'folder keeping every answer for resuming (default: <out>.parts)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (opts: DownloadCommandOptions) => {
      if (opts.slug.length === 0 && !opts.pattern) throw new InputError({ file: '(command line)' }, '--slug/--pattern', 'name at least one market slug or a slug pattern');
      let fromMs: number | undefined;
      let toMs: number | undefined;
      try {
        fromMs = opts.from !== undefined ? parseTime(opts.from, '--from') : undefined;
        toMs = opts.to !== undefined ? parseTime(opts.to, '--to') : undefined;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma download: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const bar = terminalProgress();
      const summary = await downloadHistory({
        out: opts.out,
        slugs: opts.slug,
        pattern: opts.pattern,
        fromMs,
        toMs,
        fidelityMin: opts.prices ? opts.fidelity : null,
        trades: opts.trades,
        cacheDir: opts.cache ?? `${opts.out}.parts`,
        urls: { gamma: process.env.GAMMA_URL ?? DEFAULT_URLS.gamma, clob: process.env.CLOB_URL ?? DEFAULT_URLS.clob, data: process.env.DATA_API_URL ?? DEFAULT_URLS.data },
        clock: new SystemClock(),
        random: systemRandom,
        onProgress: bar ? (done, planned) => bar.update({ events: done, bytes: done, totalBytes: planned }) : undefined,
      });
      bar?.stop();
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      const counts = Object.entries(summary.eventsByType).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
      process.stdout.write(
        [
          `download: ${summary.markets.length} market(s) -> ${summary.out}`,
          `events written: ${summary.eventsWritten} (${counts})`,
          `requests: ${summary.requests} sent, ${summary.cached} answers from the cache`,
          ...(summary.notFound.length ? [`not found: ${summary.notFound.join(', ')}`] : []),
        ].join('\n') + '\n',
      );
    });
}
