import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../../actors/config/load';
import { formatRecordSummary, Recording } from '../../actors/recorder';
import { SystemClock, systemRandom } from '../../events/clock';

interface RecordCommandOptions {
  out: string;
  config?: string;
  binanceUrl?: string;
  clobWsUrl?: string;
  rtdsUrl?: string;
  assets?: string;
  oracle?: string;
  binance: boolean;
  json?: boolean;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** `pma record --out FILE`: live input events into a tick file until SIGINT/SIGTERM. */
export function register(program: Command): void {
  program
    .command('record')
    .description(
      'Record live input events to a tick file until SIGINT or SIGTERM, which flush and close it, print a summary and exit 0. ' +
        'Binance trades of feeds.symbols on the combined stream (unless --no-binance); the Polymarket CLOB market channel ' +
        '(books, deltas, last trades, tick sizes, resolutions) when --assets is given; RTDS Chainlink prices when --oracle or ' +
        '--rtds-url is given. Events are written in arrival order with feed_status events for every connect, disconnect, ' +
        'stale feed, recovery and trade-id gap; reconnects with backoff, a silent-feed watchdog and a planned reconnect ' +
        'before Binance cuts a connection at 24 h.',
    )
    .requiredOption('--out <file>', 'tick file to write (appended to if it exists)')
    .option('--config <file>', 'JSON config file (feeds.* keys; environment overrides apply)')
    .option('--binance-url <url>', 'Binance websocket base URL (default feeds.binanceWsUrl, wss://stream.binance.com:9443)')
    .option('--clob-ws-url <url>', 'CLOB market channel URL (default feeds.clobWsUrl or CLOB_WS_URL)')
    .option('--rtds-url <url>', 'Polymarket RTDS URL (default feeds.rtdsWsUrl or RTDS_WS_URL); enables Chainlink prices')
    .option('--assets <ids>', 'comma-separated CLOB token ids to subscribe on the market channel')
    .option('--oracle <symbols>', 'comma-separated Chainlink pairs from RTDS, e.g. btc/usd,eth/usd (default feeds.oracleSymbols)')
    .option('--no-binance', 'do not record Binance trades')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText('after', '\nExample (Binance trades and Chainlink prices until Ctrl-C):\n  pma record --out out/live.ticks.jsonl --oracle btc/usd,eth/usd\n')
    .action(async (opts: RecordCommandOptions) => {
      const config = loadConfig(opts.config);
      if (opts.binanceUrl) config.feeds.binanceWsUrl = opts.binanceUrl;
      if (opts.clobWsUrl) config.feeds.clobWsUrl = opts.clobWsUrl;
      if (opts.rtdsUrl) config.feeds.rtdsWsUrl = opts.rtdsUrl;
      const oracle = opts.oracle ? list(opts.oracle) : opts.rtdsUrl ? config.feeds.oracleSymbols : [];
      const log = pino({ name: 'pma-record' }, pino.destination({ fd: 2, sync: true }));
      const recording = Recording.start({
        out: opts.out,
        config,
        clock: new SystemClock(),
        random: systemRandom,
        binance: opts.binance,
        assets: opts.assets ? list(opts.assets) : [],
        oracleSymbols: oracle,
        log,
      });
      process.stderr.write(`pma record: writing to ${opts.out}; stop with Ctrl-C (SIGINT) or SIGTERM\n`);
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve();
        };
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
        recording.onFailure(done);
      });
      const summary = await recording.stop();
      process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatRecordSummary(summary));
      if (summary.failure) process.exitCode = 1;
    });
}
