import { firstLine } from '../failure';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatImportSummary, importTicks } from '../../actors/venues/binance/importers';
import { DEFAULT_REORDER_MS, IMPORT_FORMATS, type ImportFormat } from '../../actors/venues/binance/importers/types';
import { HISTORY_FORMATS, detectHistoryFormat, formatHistorySummary, importHistory, peekText, type HistoryFormat } from '../../actors/venues/polymarket/history';
import { InputError } from '../../events/errors';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer (ms)');
  return n;
}

interface ImportCommandOptions {
  out: string;
  symbol?: string;
  strict?: boolean;
  format: ImportFormat | HistoryFormat | 'auto';
  market: 'spot' | 'usdm' | 'auto';
  reorderMs: number;
  json?: boolean;
}

const isHistoryFormat = (f: string): f is HistoryFormat => (HISTORY_FORMATS as readonly string[]).includes(f);

/**
 * Binance or Polymarket history: the format given, else the files' own. One import reads one of the
 * two kinds; `pma backtest` merges the tick files of both by time.
 */
function historyImport(files: string[], format: ImportCommandOptions['format']): boolean {
  if (format !== 'auto') return isHistoryFormat(format);
  const kinds = files.map((f) => detectHistoryFormat(f, peekText(f)) !== null);
  if (kinds.every(Boolean)) return true;
  if (kinds.some(Boolean)) {
    const i = kinds.indexOf(false);
    throw new InputError({ file: files[i] }, '(format)', 'is not Polymarket history while other inputs are: import Binance and Polymarket files separately (pma backtest merges the tick files)');
  }
  return false;
}

/** `pma import FILE... --out TICKS`: Binance trade files or Polymarket history into one tick file. */
export function register(program: Command): void {
  program
    .command('import')
    .summary('Binance trade files or Polymarket history (collector recordings, Up/Down listings, Chainlink CSV) into one time-ordered tick file')
    .description(
      'Convert Binance trade files into one time-ordered tick file (an event log of trade events, ts = exchange trade time T). ' +
        'Reads, plain or gzip, with the format detected per file: combined-stream recordings ("<local ns> <json>" lines, ' +
        'non-trade streams and depth snapshots counted and skipped), @trade/@aggTrade/REST aggTrades JSON lines, and ' +
        'Binance public-data CSV in the trades or aggTrades layout, with or without header. Spot and USD-M futures trades ' +
        'of one symbol are kept apart (--market). ' +
        'Or convert Polymarket history: CLOB collector recordings (<N>m/<asset>/trades|orderbooks/<start>up|down.json), ' +
        'Up/Down market listings with outcome and strike (JSON lines) and Chainlink price CSV, into market definitions, ' +
        'books, trades, oracle prices and recorded outcomes (docs/importers.md). Bad lines or rows are skipped and ' +
        'counted by reason, or stop the import with --strict. Prints a summary: lines per kind, events written, skips, time range.',
    )
    .argument('<files...>', 'input files, merged by time (ties keep this order, then line order)')
    .requiredOption('--out <ticks>', 'tick file to write (replaced; gzipped when the name ends in .gz)')
    .option('--symbol <sym>', 'symbol for inputs that carry none (CSV, REST aggTrades); default: from the file name, e.g. BTCUSDT-trades-2024-08-08.csv')
    .option('--strict', 'stop at the first bad line with an error naming file, line and field (exit code 2)')
    .addOption(new Option('--format <format>', 'input format for every file instead of detecting it').choices(['auto', ...IMPORT_FORMATS, ...HISTORY_FORMATS]).default('auto'))
    .addOption(new Option('--market <market>', 'Binance market of the trades: spot, usdm (USD-M futures), or auto (futures when the file name or the payload says so)').choices(['auto', 'spot', 'usdm']).default('auto'))
    .addOption(new Option('--reorder-ms <ms>', 'how far (ms) trades of different symbols in one file may be out of time order').argParser(nonNegativeInt).default(DEFAULT_REORDER_MS))
    .option('--json', 'print the summary as one JSON object instead of text')
    .addHelpText('after', '\nExample (a Binance recording shipped with the tests):\n  pma import tests/fixtures/binance/btcusdt_20240808.head1500.gz --out out/btc.ticks.jsonl.gz\n')
    .action(async (files: string[], opts: ImportCommandOptions) => {
      if (historyImport(files, opts.format)) {
        const format = opts.format as HistoryFormat | 'auto';
        const summary = await importHistory(files, opts.out, { strict: opts.strict ?? false, format });
        process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatHistorySummary(summary));
        return;
      }
      const format = opts.format as ImportFormat | 'auto';
      const summary = await importTicks(files, opts.out, { symbol: opts.symbol, strict: opts.strict ?? false, format, market: opts.market, reorderMs: opts.reorderMs });
      process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatImportSummary(summary));
      for (const f of summary.files) {
        if (f.trades > 0) continue;
        const tickFile = f.lines > 0 && /"type"\s*:\s*"/.test((await firstLine(f.file)) ?? '');
        if (tickFile) {
          process.stderr.write(`pma import: ${f.file} is already a tick file (pma events), not a Binance trade file: give it to pma backtest or pma replay as it is\n`);
          process.exitCode = 2;
        } else {
          process.stderr.write(`pma import: warning: ${f.file}: no trades ${f.lines === 0 ? '(empty file)' : `in ${f.lines} lines (${describeKinds(f.kinds)})`}\n`);
        }
      }
      if (summary.tradesWritten === 0) process.stderr.write(`pma import: warning: no trades written to ${opts.out}\n`);
    });
}

function describeKinds(kinds: Record<string, number>): string {
  return Object.entries(kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}
