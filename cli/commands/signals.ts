import type { Command } from 'commander';
import { signalTable, signalTableText } from '../../actors/backtest/signalTable';
import { measureSignals } from '../../actors/backtest/signalsReport';
import { ConfigError, loadConfig } from '../../actors/config/load';

interface SignalsCommandOptions {
  config?: string;
  threshold?: string;
  json?: boolean;
}

/** `--threshold 0.001,0.002`: positive numbers, comma-separated. */
export function parseThresholds(text: string): number[] {
  const out = text.split(',').map((t) => t.trim());
  for (const t of out) if (!/^\d*\.?\d+(e-?\d+)?$/i.test(t) || !(Number(t) > 0)) throw new ConfigError(`--threshold: expected positive numbers separated by commas (0.001,0.002), got "${t}"`);
  return out.map(Number);
}

/** `pma signals TICKS... [--threshold T,...] [--config FILE] [--json]`. */
export function register(program: Command): void {
  program
    .command('signals')
    .description(
      'Signal quality of tick files: the Binance trades through the signal detector (config `signals`, or each --threshold), ' +
        'signals and episodes (same-direction signals of a symbol within the signal window count once), and the false-signal ' +
        'rate at 10 s, 30 s, 60 s and the end of the 15-minute window, with and without volume confirmation.',
    )
    .argument('<ticks...>', 'tick files (event logs of input events, plain or gzip)')
    .option('--threshold <t,...>', 'price-change thresholds to compare (default: the config\'s signals.threshold)')
    .option('--config <file>', 'JSON config file (its `signals` section); defaults otherwise')
    .option('--json', 'print the measurements as JSON')
    .addHelpText('after', '\nExample:\n  pma signals data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --threshold 0.0005,0.001,0.002\n')
    .action(async (ticks: string[], opts: SignalsCommandOptions) => {
      let config;
      let thresholds: number[];
      try {
        config = loadConfig(opts.config);
        thresholds = opts.threshold !== undefined ? parseThresholds(opts.threshold) : [config.signals.threshold];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma signals: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const results = await measureSignals(ticks, config.signals, thresholds);
      if (opts.json) {
        process.stdout.write(JSON.stringify(results, null, 2) + '\n');
        return;
      }
      const parts = results.map((r) => `threshold ${r.threshold} (episode gap ${r.quality.episodeGapMs / 1000} s)\n${signalTableText(signalTable(r.quality))}`);
      process.stdout.write(parts.join('\n\n') + '\n');
    });
}
