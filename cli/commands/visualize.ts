import { existsSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InputError } from '../../events/errors';
import { SystemClock } from '../../events/clock';
import { InspectionHub } from '../../actors/visualizer/inspectionHub';
import { LogIndex } from '../../actors/visualizer/logIndex';
import { startVisualizer } from '../../actors/visualizer/server';
import { ListenError } from '../../actors/listenError';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535 (0: any free port)');
  return n;
}

interface VisualizeOptions {
  log?: string;
  port: number;
  host: string;
}

/** `pma visualize [--log FILE] [--port N] [--host H]`: serves the state-machine visualizer until interrupted. */
export function register(program: Command): void {
  program
    .command('visualize')
    .summary('serve a local web page drawing every state machine, live actor states and a recorded log step by step')
    .description(
      'Serve a local web page (127.0.0.1 by default; works offline, nothing loaded from outside) that draws every machine ' +
        'in machines/registry.ts as a statechart (states, transitions, event names and guards, from the machine definitions) ' +
        'and highlights the state each actor is in. Live actors (XState inspection over a websocket) show when the server runs ' +
        'inside a system that hands its actors the inspection hub. With --log, steps through a recorded event log: forward, ' +
        'back, next/previous state change, jump to a seq or a time, and for each strategy_state change shows the input event ' +
        'that triggered it, the orders it emitted and the last signal and market snapshot before it. Prints the URL; Ctrl-C stops it.',
    )
    .option('--log <file>', 'event log (JSON lines, plain or gzip) to step through; indexed once, read back a page at a time')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').argParser(port).default(8377))
    .option('--host <host>', 'address to bind (the page has no authentication: keep it local)', '127.0.0.1')
    .addHelpText('after', '\nExample (after npm run demo):\n  pma visualize --log out/demo/events.jsonl\n')
    .action(async (opts: VisualizeOptions) => {
      if (opts.log && !existsSync(opts.log)) throw new InputError({ file: opts.log }, '--log', 'no such file');
      const log = opts.log ? await LogIndex.build(opts.log) : undefined;
      if (log) {
        process.stdout.write(`indexed ${opts.log}: ${log.events} events, ${log.changeCount} state changes, ${log.actors().length} actors\n`);
        if (log.tornTail) process.stdout.write(`warning: torn last line ${log.tornTail.line} (${log.tornTail.bytes} bytes) ignored\n`);
      }
      const hub = new InspectionHub({ clock: new SystemClock() });
      let server;
      try {
        server = await startVisualizer({ host: opts.host, port: opts.port, hub, log });
      } catch (err) {
        if (!(err instanceof ListenError)) throw err;
        process.stderr.write(`pma visualize: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`visualizer at ${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
