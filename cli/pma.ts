import { Command, CommanderError } from 'commander';
import { InputError } from '../events/errors';
import * as importCommand from './commands/import';
import * as downloadCommand from './commands/download';
import * as replayCommand from './commands/replay';
import * as backtestCommand from './commands/backtest';
import * as startCommand from './commands/start';
import * as recordCommand from './commands/record';
import * as visualizeCommand from './commands/visualize';

/** `pma`: one command per job. Each command module adds itself to the program. */
export function buildProgram(): Command {
  const program = new Command('pma')
    .description('polymarket-actors: event-sourced trading of Polymarket markets from Binance trades')
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
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof InputError) {
      process.stderr.write(`pma: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`pma: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module || process.argv[1]?.endsWith('pma.js')) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
