import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../actors/config/load';
import { startService } from '../../actors/service/run';
import { controlToken } from '../../actors/service/controlServer';
import { SystemClock } from '../../events/clock';
import { createServiceLogger } from '../../actors/observability/logger';
import { ListenError } from '../../actors/listenError';
import { fsErrorLine } from '../../events/errors';
import { formatStatus } from '../statusLine';

interface StartOptions {
  config?: string;
  log?: string;
  metricsPort?: string;
  controlPort?: string;
  live?: boolean;
  visualizePort?: string;
}

/** `pma start [--config FILE] [--log FILE] [--metrics-port N] [--live]`. */
export function register(program: Command): void {
  program
    .command('start')
    .description(
      'Run the headless service: live Binance trades, Polymarket scans, CLOB books and Chainlink prices as input events ' +
        'in the event log; all strategies under the supervisor; paper trading unless --live. On start the state ' +
        '(positions, cash, halts, strategy machines) is rebuilt from the event log. SIGINT/SIGTERM stop it gracefully; SIGUSR2 or POST /control/kill (on the control listener, ' +
        '127.0.0.1:9465 or service.controlSocket, with Authorization: Bearer $PMA_CONTROL_TOKEN) stops all new orders ' +
        'until POST /control/resume; in live mode the kill also cancels every resting order. ' +
        'Endpoints come from the config or BINANCE_WS_URL, GAMMA_URL, CLOB_URL, CLOB_WS_URL, CLOB_USER_WS_URL, RTDS_WS_URL, ANTHROPIC_BASE_URL.',
    )
    .option('--config <file>', 'JSON config file (see docs/config.md); environment variables override endpoints')
    .option('--log <file>', 'event log path (default: config log.path, var/events.jsonl)')
    .option('--metrics-port <n>', 'port of /metrics and /healthz (default 9464; 0 picks a free port); the host is service.metricsHost (127.0.0.1 unless configured, e.g. PMA_METRICS_HOST in a container)')
    .option('--control-port <n>', 'port of the operator listener (/control/kill, /control/resume, /debug/portfolio; loopback only, token in PMA_CONTROL_TOKEN; default 9465, 0 picks a free port)')
    .option('--visualize-port <n>', 'also serve the state-machine visualizer with every live actor on 127.0.0.1:N (0 picks a free port)')
    .option('--live', 'place real orders (needs service.mode "live" in the config and POLYMARKET_* credentials); paper otherwise')
    .addHelpText('after', '\nExample:\n  pma start --log var/events.jsonl --metrics-port 9464\n')
    .action(async (opts: StartOptions) => {
      let config;
      try {
        config = loadConfig(opts.config);
        if (opts.metricsPort !== undefined) {
          const port = Number(opts.metricsPort);
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--metrics-port: expected a port number 0-65535, got "${opts.metricsPort}"`);
          config.service.metricsPort = port;
        }
        if (opts.controlPort !== undefined) {
          const port = Number(opts.controlPort);
          if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--control-port: expected a port number 0-65535, got "${opts.controlPort}"`);
          config.service.controlPort = port;
        }
        try {
          controlToken(process.env);
        } catch (err) {
          throw new ConfigError((err as Error).message);
        }
        if (opts.visualizePort !== undefined && !/^\d+$/.test(opts.visualizePort)) throw new ConfigError(`--visualize-port: expected a port number, got "${opts.visualizePort}"`);
        if (opts.live && config.service.mode !== 'live') throw new ConfigError('--live: the config must also say service.mode "live" (two explicit switches for real money)');
        if (!opts.live && config.service.mode === 'live') throw new ConfigError('service.mode is "live" but --live was not given: refusing to guess; pass --live or use paper mode');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma start: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      // On a terminal one status line is redrawn each second; the JSON log goes to a file beside the event log.
      const tty = process.stdout.isTTY === true && process.stderr.isTTY === true;
      const logPath = opts.log ?? config.log.path;
      const jsonLog = tty ? `${logPath}.service.log` : undefined;
      const logger = createServiceLogger({ env: process.env, file: jsonLog });
      if (jsonLog) process.stderr.write(`pma start: details in the JSON log ${jsonLog}; Ctrl-C stops\n`);
      const clock = new SystemClock();
      let running;
      try {
        running = await startService({ config, logPath, env: process.env, logger, clock, live: opts.live === true, visualizePort: opts.visualizePort === undefined ? undefined : Number(opts.visualizePort) });
      } catch (err) {
        // One line for the user, the JSON line for the log; then exit at once (nothing keeps running or appending).
        const message = err instanceof Error ? err.message : String(err);
        logger.fatal({ err: message }, 'service could not start');
        logger.flush?.();
        process.stderr.write(`pma start: ${fsErrorLine(err) ?? message}\n`);
        process.exit(err instanceof ListenError || fsErrorLine(err) !== null ? 2 : 1);
      }
      let statusTimer = 0;
      const drawStatus = () => {
        const line = formatStatus({ health: running.health.report(), lastEvent: running.lastEvent(), trading: running.trading(), now: clock.now() });
        process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 160) - 1)}`);
        statusTimer = clock.setBackgroundTimeout(drawStatus, 1_000);
      };
      if (tty) drawStatus();
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        if (tty) {
          clock.clearTimeout(statusTimer);
          process.stderr.write(`\npma start: stopping (${signal})\n`);
        }
        const bound = clock.setTimeout(() => {
          logger.error({ signal, boundMs: config.service.shutdownTimeoutMs }, 'shutdown took too long; exiting anyway (the log is written per event)');
          process.exit(1);
        }, config.service.shutdownTimeoutMs);
        running.stop(signal).then(
          () => {
            clock.clearTimeout(bound);
            logger.flush?.();
            process.exit(running.service.halted ? 1 : 0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      // The kill switch without HTTP: every new order is refused until POST /control/resume.
      process.on('SIGUSR2', () => {
        running.control.command('kill', 'operator: SIGUSR2').then(
          (e) => logger.warn({ cancelled: e.cancelled, cancelError: e.cancelError }, 'kill switch set by SIGUSR2: every new order is refused until POST /control/resume'),
          (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'kill switch (SIGUSR2) not logged'),
        );
      });
    });
}
