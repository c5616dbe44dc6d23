import { Command, CommanderError } from 'commander';
import { fsErrorLine, InputError } from '../events/errors';
import { ConfigError } from '../actors/config/load';
import * as importCommand from './commands/import';
import * as downloadCommand from './commands/download';
import * as replayCommand from './commands/replay';
import * as backtestCommand from './commands/backtest';
import * as startCommand from './commands/start';
import * as recordCommand from './commands/record';
import * as visualizeCommand from './commands/visualize';
import * as cacheCommand from './commands/cache';
import * as mergeLogCommand from './commands/mergeLog';
import * as signalsCommand from './commands/signals';
import * as sweepCommand from './commands/sweep';
import * as workerCommand from './commands/worker';
import * as redeemCommand from './commands/redeem';

/** `pma`: one command per job. Each command module adds itself to the program. */
export function buildProgram(): Command {
  const program = new Command('pma')
    .description('polymarket-actors: event-sourced trading of Polymarket markets from Binance trades')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  const modules: { register(program: Command): void }[] = [
    // registered commands (one module each under cli/commands/)
    importCommand,
    downloadCommand,
    replayCommand,
    backtestCommand,
    startCommand,
    recordCommand,
    visualizeCommand,
    cacheCommand,
    mergeLogCommand,
    signalsCommand,
    sweepCommand,
    workerCommand,
    redeemCommand,
  ];
  for (const m of modules) m.register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    // Help and --version end in a CommanderError with exit code 0; a usage error (unknown option or
    // command, missing argument) is bad input, exit code 2 like every other.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof InputError || err instanceof ConfigError) {
      process.stderr.write(`pma: ${err.message}\n`);
      return 2;
    }
    const fs = fsErrorLine(err);
    if (fs !== null) {
      process.stderr.write(`pma: ${fs}\n`);
      return 2;
    }
    process.stderr.write(`pma: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

function packageVersion(): string {
  return (require('../package.json') as { version: string }).version;
}

/** Runs `pma` with the process's arguments (bin/pma.js calls this however it was reached: npx, npm link, a symlink). */
export function run(): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
