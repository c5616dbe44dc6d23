import type { Command } from 'commander';
import { join } from 'node:path';
import { DERIVED_INPUTS, DERIVED_LOG, mergeDerivedLog } from '../../actors/backtest/derivedLog';
import { PendingOutputs } from '../../actors/outputFiles';
import { reportFailure } from '../failure';

interface MergeLogOptions {
  out: string;
  ticks?: string[];
}

/** `pma merge-log REPORT_DIR --out FILE [--ticks FILE...]`. */
export function register(program: Command): void {
  program
    .command('merge-log')
    .description(
      `Rebuild the full event log of a backtest run with --events derived: REPORT_DIR/${DERIVED_LOG} (derived events, with the seq ` +
        `they have in the full log) merged with the tick files REPORT_DIR/${DERIVED_INPUTS} names (each checked against its SHA-256). ` +
        'The result is byte for byte the events.jsonl of the same backtest with --events full.',
    )
    .argument('<dir>', 'report folder of a backtest run with --events derived')
    .requiredOption('--out <file>', 'full event log to write (replaced only when complete)')
    .option(
      '--ticks <files...>',
      `the tick files to copy the inputs from, one for each that ${DERIVED_INPUTS} names, in its order (each checked against its SHA-256); ` +
        'default: the paths named there, which are as the backtest was given them (a relative one from the folder it ran in)',
    )
    .addHelpText('after', '\nExample (after pma backtest TICKS --events derived --report out/demo):\n  pma merge-log out/demo --out out/demo/events.jsonl\n')
    .action(async (dir: string, opts: MergeLogOptions) => {
      const outputs = new PendingOutputs();
      try {
        const r = await mergeDerivedLog(join(dir, DERIVED_LOG), join(dir, DERIVED_INPUTS), opts.out, { ticks: opts.ticks, outputs });
        process.stdout.write(`wrote ${opts.out}: ${r.events} events (${r.inputsCopied} inputs copied from the tick files)\n`);
      } catch (err) {
        await reportFailure('merge-log', err, { outputs });
      }
    });
}
