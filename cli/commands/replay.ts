import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../actors/config/load';
import { replayTickFile, type ReplaySummary } from '../../actors/replay';
import { noCacheWarning } from '../../actors/tickCache';
import { SystemClock } from '../../events/clock';
import { PendingOutputs } from '../../actors/outputFiles';
import { abortOnInterrupt, reportFailure } from '../failure';
import { terminalProgress, type Progress } from '../progress';

interface ReplayCommandOptions {
  out: string;
  config?: string;
  json?: boolean;
  tickCache?: string;
}

export function formatReplaySummary(ticks: string, out: string, s: ReplaySummary, wallMs: number): string {
  const rate = s.inputs / Math.max(0.001, wallMs / 1000);
  const lines = [
    `replayed ${ticks}: ${s.inputs} input events (${s.trades} trades) in ${(wallMs / 1000).toFixed(2)} s (${Math.round(rate)} events/s)`,
    `wrote ${out}: ${s.written} events (${s.inputs} inputs, ${s.derived} derived)`,
  ];
  if (s.derivedSkipped > 0) lines.push(`skipped ${s.derivedSkipped} derived events found in the tick file (re-derived instead)`);
  const symbols = Object.keys(s.signals);
  if (symbols.length === 0) lines.push('signals: none');
  for (const symbol of symbols) {
    const t = s.signals[symbol];
    lines.push(`signals ${symbol}: ${t.confirmed} confirmed, ${t.unconfirmed} unconfirmed (false signals removed by volume confirmation)`);
  }
  if (s.tornTail) lines.push(`warning: torn last line ${s.tornTail.line} of the tick file (${s.tornTail.bytes} bytes) was not replayed`);
  return lines.join('\n') + '\n';
}

/** `pma replay TICKS --out LOG [--config FILE]`. */
export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'Run a tick file (plain or gzip) through the pipeline with event time and write the full event log: every input ' +
        'copied through, followed by the events it derives (10 s price-change signals with volume confirmation, ...). ' +
        'The same tick file and config always give a byte-identical log. Shows a progress bar on a terminal (events/s, ' +
        '% of file); prints a summary: events in, signals confirmed/unconfirmed per symbol, time.',
    )
    .argument('<ticks>', 'tick file to replay (an event log of input events; derived events in it are skipped and re-derived)')
    .requiredOption('--out <log>', 'event log to write (replaced)')
    .option('--config <file>', 'JSON config file (its `signals` section sets windowMs, threshold, volumeWindow, volumeAverageOf, volumeMultiplier)')
    .option('--json', 'print the summary as one JSON object instead of text')
    .option('--tick-cache <dir>', 'read the tick file from its columnar cache in DIR when there is one (pma cache); same output')
    .addHelpText('after', '\nExample:\n  pma replay data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --out out/replay.jsonl\n')
    .action(async (ticks: string, opts: ReplayCommandOptions) => {
      let signals;
      try {
        signals = loadConfig(opts.config).signals;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma replay: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const clock = new SystemClock();
      const bar = terminalProgress();
      const start = clock.now();
      const outputs = new PendingOutputs();
      const interrupt = abortOnInterrupt();
      let progress: Progress | null = null;
      const onProgress = (p: Progress) => {
        progress = p;
        bar?.update(p);
      };
      let summary: ReplaySummary;
      try {
        summary = await replayTickFile({ ticks, out: opts.out, signals, tickCache: opts.tickCache, outputs, signal: interrupt.signal, onProgress });
      } catch (err) {
        await reportFailure('replay', err, { outputs, bar, progress, inputs: [ticks] });
        return;
      } finally {
        interrupt.dispose();
        bar?.stop();
      }
      const wallMs = clock.now() - start;
      process.stdout.write(opts.json ? JSON.stringify({ ...summary, wallMs }) + '\n' : formatReplaySummary(ticks, opts.out, summary, wallMs));
      if (summary.readFromTickCache === false) process.stderr.write(`pma replay: warning: ${noCacheWarning(ticks, opts.tickCache!)}\n`);
    });
}
