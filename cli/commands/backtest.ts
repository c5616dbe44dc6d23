import type { Command } from 'commander';
import type { BacktestReport } from '../../actors/backtest/reportTypes';
import { runBacktest } from '../../actors/backtest/run';
import { useBacktestHeapSettings } from '../../actors/backtest/heapSettings';
import { ConfigError, loadConfig } from '../../actors/config/load';
import { SystemClock } from '../../events/clock';
import { PendingOutputs } from '../../actors/outputFiles';
import { abortOnInterrupt, reportFailure } from '../failure';
import { terminalProgress, type Progress } from '../progress';

interface BacktestCommandOptions {
  report: string;
  config?: string;
  from?: string;
  to?: string;
  tickCache?: string;
  events: string;
}

/** A time given as ms since the epoch or as an ISO 8601 date-time. */
export function parseTime(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ConfigError(`${flag}: expected ms since the epoch or an ISO 8601 time such as 2024-08-09T00:00:00Z, got "${text}"`);
  return ms;
}

/** `pma backtest TICKS... [--config FILE] [--from T --to T] --report DIR`. */
export function register(program: Command): void {
  program
    .command('backtest')
    .description(
      'Replay tick files (merged in time order) through the whole system on event time: the same strategies, supervisor, ' +
        'risk checks and paper broker as the live service. 15-minute markets without recorded Polymarket quotes are ' +
        'simulated by the documented market model (labelled in the report). Writes DIR/events.jsonl, DIR/report.json and ' +
        'DIR/report.html; the same inputs and config give the same bytes.',
    )
    .argument('<ticks...>', 'tick files (event logs of input events, plain or gzip)')
    .requiredOption('--report <dir>', 'folder for events.jsonl, report.json and report.html (created; files replaced)')
    .option('--config <file>', 'JSON config file (strategies, risk, signals, backtest.model ...); defaults otherwise')
    .option('--from <time>', 'replay only events at or after this time (ms or ISO 8601)')
    .option('--to <time>', 'replay only events at or before this time (ms or ISO 8601)')
    .option('--events <mode>', 'full: events.jsonl with every input; derived: events.derived.jsonl without the tick files\' inputs plus events.inputs.json (path + sha256), rebuilt by pma merge-log', 'full')
    .option('--tick-cache <dir>', 'read each tick file from its columnar cache in DIR when there is one (pma cache); same results')
    .addHelpText('after', '\nExample:\n  pma backtest data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --report out/demo\n')
    .action(async (ticks: string[], opts: BacktestCommandOptions) => {
      let config;
      let from: number | undefined;
      let to: number | undefined;
      try {
        config = loadConfig(opts.config);
        from = opts.from !== undefined ? parseTime(opts.from, '--from') : undefined;
        to = opts.to !== undefined ? parseTime(opts.to, '--to') : undefined;
        if (opts.events !== 'full' && opts.events !== 'derived') throw new ConfigError(`--events: expected full or derived, got "${opts.events}"`);
        if (from !== undefined && to !== undefined && from > to) throw new ConfigError(`--from (${opts.from}) is after --to (${opts.to})`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma backtest: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      useBacktestHeapSettings();
      const bar = terminalProgress({ eta: true });
      const clock = new SystemClock();
      const started = clock.now();
      const outputs = new PendingOutputs();
      const interrupt = abortOnInterrupt();
      let progress: Progress | null = null;
      const onProgress = (p: Progress) => {
        progress = p;
        bar?.update(p);
      };
      let result;
      try {
        result = await runBacktest({ ticks, config, reportDir: opts.report, from, to, tickCache: opts.tickCache, events: opts.events as 'full' | 'derived', outputs, signal: interrupt.signal, onProgress });
      } catch (err) {
        await reportFailure('backtest', err, { outputs, bar, progress, inputs: ticks });
        return;
      } finally {
        interrupt.dispose();
        bar?.stop();
      }
      const r = result.report;
      const seconds = (clock.now() - started) / 1000;
      const lines = [
        `backtest of ${ticks.join(', ')}: ${r.events.inputs} input events (${r.events.trades} trades), ${r.events.derived} derived, in ${seconds.toFixed(2)} s`,
        ...Object.entries(r.strategies).map(([name, s]) => `  ${name}: ${s.trades} fills, ${s.roundTrips} round trips, net P&L ${s.netPnl} (fees ${s.fees}), max drawdown ${s.maxDrawdown}`),
        `  total: net P&L ${r.total.netPnl}, ending equity ${r.total.endingEquity}`,
        `  signals: confirmed ${r.total.signals.confirmed.count} (false-signal rate ${fmtRate(r.total.signals.confirmed.falseSignalRate)}), unconfirmed ${r.total.signals.unconfirmed.count} (${fmtRate(r.total.signals.unconfirmed.falseSignalRate)})`,
      ];
      if (r.simulated.markets.length) lines.push(`  simulated markets (model, not recorded quotes): ${r.simulated.markets.length}`);
      lines.push(...marketLines(r.markets));
      const tapeFills = r.tradeList.filter((t) => t.model === 'tape').length;
      if (tapeFills) lines.push(`  tape fills (markets with a trade tape only, no book; docs/backtest.md): ${tapeFills} of ${r.tradeList.length} fills`);
      if (r.resolutions) lines.push(...resolutionLines(r.resolutions));
      for (const t of result.tornTails) lines.push(`  warning: ${t.file}: torn last line ${t.tail.line} (${t.tail.bytes} bytes) not replayed`);
      if (result.derivedSkipped) lines.push(`  skipped ${result.derivedSkipped} derived events in the inputs (re-derived instead)`);
      const eventFiles = opts.events === 'derived' ? `${opts.report}/events.derived.jsonl, ${opts.report}/events.inputs.json` : `${opts.report}/events.jsonl`;
      lines.push(`wrote ${eventFiles}, ${opts.report}/report.json, ${opts.report}/report.html`);
      process.stdout.write(lines.join('\n') + '\n');
      for (const w of result.warnings) process.stderr.write(`pma backtest: warning: ${w}\n`);
    });
}

/** Per market (up to 10, then counts): recorded books / recorded trades only / no prices / simulated. */
function marketLines(markets: BacktestReport['markets']): string[] {
  const recorded = markets.filter((m) => m.prices !== 'simulated');
  if (recorded.length === 0) return [];
  const by = (p: string) => recorded.filter((m) => m.prices === p).length;
  const lines = [`  markets: ${recorded.length} recorded (books ${by('recorded books')}, trades only ${by('recorded trades only')}, no prices ${by('no prices')}), ${markets.length - recorded.length} simulated`];
  for (const m of recorded.slice(0, 10)) lines.push(`    ${m.slug}: ${m.prices}${m.derivedIds ? ' (derived token ids)' : ''}`);
  if (recorded.length > 10) lines.push(`    ... ${recorded.length - 10} more in report.json`);
  return lines;
}

function resolutionLines(r: NonNullable<BacktestReport['resolutions']>): string[] {
  const rate = r.agreementRate === null ? '-' : `${(r.agreementRate * 100).toFixed(1)} %`;
  const lines = [
    `  resolutions: agreement rate ${rate} (${r.agree} of ${r.judged} judged agree, ${r.disagree} disagree; judged by strike ${r.judgedByStrike}, by window open ${r.judgedByOpen}; ${r.recorded} recorded outcomes)`,
  ];
  for (const d of r.disagreements) lines.push(`    disagrees: ${d.slug}: recorded ${d.recorded}, oracle says ${d.derived} (end ${d.endPrice} vs ${d.priceToBeat} by ${d.by})`);
  for (const u of r.unjudgeable) lines.push(`    not judged: ${u.slug}: ${u.reason}`);
  return lines;
}

function fmtRate(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)} %`;
}
