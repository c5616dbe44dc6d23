import type { Logger } from 'pino';
import type { SystemClock } from '../../events/clock';
import { readAllEvents } from '../../events/log';
import type { AnyEvent } from '../../events/types';
import type { Config } from '../config/schema';
import { liveBrokerFromConfig, type LiveBroker } from '../execution/liveBroker';
import { marketContext } from '../execution/marketContext';
import { ServiceStatus, strategiesCheck } from '../observability/checks';
import { Health } from '../observability/health';
import { ServiceMetrics } from '../observability/metrics';
import { startObservabilityServer, type ObservabilityServer } from '../observability/server';
import { OperatorControl } from './control';
import { InspectionHub } from '../visualizer/inspectionHub';
import { startVisualizer, type VisualizerServer } from '../visualizer/server';
import { TradingService, type ServiceOptions } from './service';
import { EventLoopWatchdog } from './watchdog';

export interface StartServiceOptions {
  config: Config;
  logPath: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock: SystemClock;
  /** `--live` was given (with service.mode "live"): real orders through the CLOB. */
  live: boolean;
  disable?: ServiceOptions['disable'];
  /** Strategies run beside the configured ones (tests of a misbehaving strategy in a real process). */
  extraStrategies?: ServiceOptions['extraStrategies'];
  /** Serve the state-machine visualizer with every live actor on this port (127.0.0.1). */
  visualizePort?: number;
}

export interface RunningService {
  service: TradingService;
  metrics: ServiceMetrics;
  health: Health;
  server: ObservabilityServer;
  broker: LiveBroker | null;
  /** The kill switch (`POST /control/kill|resume` on the server, SIGUSR2 in `pma start`). */
  control: OperatorControl;
  stop(reason: string): Promise<void>;
}

/**
 * `pma start`: the trading service with its metrics and health endpoint, and the live broker when
 * (and only when) live trading was asked for twice (config and flag).
 */
export async function startService(o: StartServiceOptions): Promise<RunningService> {
  const { config, clock, logger } = o;
  const metrics = new ServiceMetrics();
  // Outside the event path: catches a reaction that never returns, which nothing inside it can.
  const watchdog = new EventLoopWatchdog({ warnMs: config.service.stallWarnMs, exitMs: config.service.stallExitMs }, clock);
  metrics.watchStalls(() => watchdog.stats());
  const status = new ServiceStatus({ clock, marketDataMaxAgeMs: config.marketData.maxStaleMs, llmEnabled: config.llm.enabled });
  // The live broker writes what it sends and hears to the log through the service's input queue.
  let service: TradingService | null = null;
  const hub = o.visualizePort !== undefined ? new InspectionHub({ clock }) : null;
  const broker = liveBrokerFromConfig(config, { live: o.live }, o.env, {
    clock,
    append: (event) => service!.append(event),
    onProblem: (problem) => logger.warn({ problem }, 'live broker'),
  });
  service = new TradingService({
    config,
    logPath: o.logPath,
    env: o.env,
    logger,
    clock,
    broker: broker ?? undefined,
    registry: metrics.registry,
    onEvent: (e: AnyEvent) => {
      metrics.onEvent(e);
      status.onEvent(e);
    },
    disable: o.disable,
    // The live broker learns from the completed log which intents it sent (never sent twice) and which it did not.
    beforeLive: broker ? async () => broker.recover((await readAllEvents(o.logPath)).records.map((r) => r.event)) : undefined,
    inspect: hub?.inspect,
    extraStrategies: o.extraStrategies,
  });
  const health = new Health();
  health.registerGroup('', () => service!.health());
  health.register('market_data', status.marketDataCheck());
  health.register('llm', status.llmCheck());
  health.register('strategies', strategiesCheck(service.system.supervisor));
  health.register('event_loop', watchdog.check());
  const stopLagProbe = metrics.startLagProbe(clock);
  metrics.watchScanInterval(() => service!.system.scanInterval.intervalMs);
  metrics.watchLlm(() => service!.system.llm.metrics());
  // Listen first: a taken port ends `pma start` before a feed connects or an event is appended.
  const control = new OperatorControl({ append: (e) => service!.append(e), portfolio: () => service!.system.portfolio.toJSON() }, clock);
  let server: ObservabilityServer | null = null;
  let visualizer: VisualizerServer | null = null;
  try {
    server = await startObservabilityServer({ host: config.service.metricsHost, port: config.service.metricsPort, registry: metrics.registry, health, routes: control.routes });
    visualizer = hub ? await startVisualizer({ port: o.visualizePort, hub }) : null;
    await service.start();
  } catch (err) {
    stopLagProbe();
    await visualizer?.close();
    await server?.close();
    throw err;
  }
  for (const feed of service.feedCounters()) {
    metrics.watchFeed(feed.name, feed.counters);
    health.register(`feed:${feed.name}`, status.feedCheck(feed.name));
  }
  const log = service.eventLog();
  if (log) metrics.timeAppends(log);
  if (broker) await broker.resume((tokenId) => marketContext(service!.system.markets, tokenId));
  if (visualizer) logger.info({ visualizer: visualizer.url }, 'state-machine visualizer with the live actors');
  logger.info({ metrics: `${server.url}/metrics`, health: `${server.url}/healthz`, mode: broker ? 'live' : 'paper' }, 'service started');
  return {
    service,
    metrics,
    health,
    server,
    broker,
    control,
    async stop(reason) {
      await service!.stop(reason);
      stopLagProbe();
      await watchdog.stop();
      await broker?.close(false);
      await server.close();
      await visualizer?.close();
    },
  };
}
