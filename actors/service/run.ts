import type { Logger } from 'pino';
import { systemRandom, type SystemClock } from '../../events/clock';
import { readAllEvents } from '../../events/log';
import type { AnyEvent } from '../../events/types';
import type { Config } from '../config/schema';
import { liveBrokerFromConfig, type LiveBroker } from '../execution/liveBroker';
import { loadRedeemer } from '../execution/live/loadRedeemer';
import type { Redeemer } from '../execution/live/redeemer';
import { liveCredentialsFromEnv } from '../venues/polymarket/credentials';
import { marketContext } from '../execution/marketContext';
import { ServiceStatus, strategiesCheck } from '../observability/checks';
import { Health } from '../observability/health';
import { ServiceMetrics } from '../observability/metrics';
import { riskLimits } from '../execution/risk';
import { tradingView } from '../observability/tradingView';
import type { TradingView } from '../observability/metrics';
import { startObservabilityServer, type ObservabilityServer } from '../observability/server';
import { OperatorControl } from './control';
import { FEED_CLOB_USER } from '../venues/polymarket/userChannel';
import { controlToken, startControlServer, type ControlServer } from './controlServer';
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
  /** `/metrics` and `/healthz` only. */
  server: ObservabilityServer;
  /** The operator's listener (loopback or a Unix socket, token required). */
  controlServer: ControlServer;
  broker: LiveBroker | null;
  /** Live with `live.rpcUrl`: redeems resolved winning shares. */
  redeemer: Redeemer | null;
  /** The kill switch (`POST /control/kill|resume` on the control server, SIGUSR2 in `pma start`). */
  control: OperatorControl;
  /** The last event appended other than a clock tick (for the terminal status line), or null before the first. */
  lastEvent(): { seq: number; ts: number; type: string } | null;
  /** The portfolio and the halts in force now (as `/metrics` shows them). */
  trading(): TradingView;
  stop(reason: string): Promise<void>;
}

/**
 * `pma start`: the trading service with its metrics and health endpoint, and the live broker when
 * (and only when) live trading was asked for twice (config and flag).
 */
export async function startService(o: StartServiceOptions): Promise<RunningService> {
  const { config, clock, logger } = o;
  const token = controlToken(o.env);
  const metrics = new ServiceMetrics();
  // Outside the event path: catches a reaction that never returns, which nothing inside it can.
  const watchdog = new EventLoopWatchdog({ warnMs: config.service.stallWarnMs, exitMs: config.service.stallExitMs }, clock);
  metrics.watchStalls(() => watchdog.stats());
  // The LLM is asked for by the config and turned on by a key: without one the rules decide, and health does not count it.
  const llmKey = Boolean(o.env.ANTHROPIC_API_KEY);
  const status = new ServiceStatus({
    clock,
    marketDataMaxAgeMs: config.marketData.maxStaleMs,
    llmEnabled: config.llm.enabled && llmKey,
    llmOffReason: config.llm.enabled ? 'off: no ANTHROPIC_API_KEY set (the rules decide)' : 'disabled in config (llm.enabled = false)',
  });
  // The live broker writes what it sends and hears to the log through the service's input queue.
  let service: TradingService | null = null;
  let lastEvent: { seq: number; ts: number; type: string } | null = null;
  const hub = o.visualizePort !== undefined ? new InspectionHub({ clock }) : null;
  const broker = liveBrokerFromConfig(config, { live: o.live }, o.env, {
    clock,
    append: (event) => service!.append(event),
    onProblem: (problem) => logger.warn({ problem }, 'live broker'),
    // Fills and order events by the CLOB user channel (feeds.clobUserWsUrl), polled only while it is down.
    random: systemRandom,
  });
  // Winning shares of resolved markets redeemed on chain (live.rpcUrl), each intent once, outcomes logged.
  const redeemer = broker
    ? loadRedeemer(config.live, liveCredentialsFromEnv(o.env).privateKey, {
        clock,
        append: (event) => service!.append(event),
        onProblem: (problem) => logger.warn({ problem }, 'redemption'),
        onSent: (intentId, txHash) => logger.info({ intentId, txHash }, 'redemption sent'),
        onApproval: (adapter, txHash) => logger.info({ adapter, txHash }, 'adapter approval sent'),
      })
    : null;
  if (broker && !redeemer) logger.warn('live.rpcUrl (POLYGON_RPC_URL) is not set: resolved positions are not redeemed; their intents wait in the log for pma redeem');
  service = new TradingService({
    config,
    logPath: o.logPath,
    env: o.env,
    logger,
    clock,
    broker: broker ?? undefined,
    redeemer: redeemer ?? undefined,
    registry: metrics.registry,
    onEvent: (e: AnyEvent) => {
      metrics.onEvent(e);
      status.onEvent(e);
      if (e.type !== 'timer') lastEvent = { seq: e.seq, ts: e.ts, type: e.type };
    },
    disable: o.disable,
    // The live broker learns from the completed log which intents it sent (never sent twice) and which it did not.
    beforeLive: broker
      ? async () => {
          const events = (await readAllEvents(o.logPath)).records.map((r) => r.event);
          broker.recover(events);
          redeemer?.recover(events);
        }
      : undefined,
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
  const limits = riskLimits(config);
  const trading = () => tradingView(service!.system, limits, clock.now());
  metrics.watchTrading(trading);
  // Listen first: a taken port ends `pma start` before a feed connects or an event is appended.
  const control = new OperatorControl(
    {
      append: (e) => service!.append(e),
      portfolio: () => service!.system.portfolio.toJSON(),
      // Live: the kill also cancels every order resting on the book; the venue's answers are logged as for any order.
      cancelResting: broker ? () => broker.cancelResting() : undefined,
    },
    clock,
  );
  let server: ObservabilityServer | null = null;
  let controlServer: ControlServer | null = null;
  let visualizer: VisualizerServer | null = null;
  try {
    server = await startObservabilityServer({ host: config.service.metricsHost, port: config.service.metricsPort, registry: metrics.registry, health });
    controlServer = await startControlServer({
      host: config.service.controlHost,
      port: config.service.controlPort,
      socket: config.service.controlSocket,
      token,
      routes: control.routes,
      onRefused: (r) => logger.warn(r, 'control request refused'),
    });
    visualizer = hub ? await startVisualizer({ port: o.visualizePort, hub }) : null;
    await service.start();
  } catch (err) {
    stopLagProbe();
    await visualizer?.close();
    await controlServer?.close();
    await server?.close();
    throw err;
  }
  if (token === null) logger.warn('PMA_CONTROL_TOKEN is not set: /control and /debug refuse every request (SIGUSR2 still sets the kill switch)');
  for (const feed of service.feedCounters()) {
    metrics.watchFeed(feed.name, feed.counters);
    health.register(`feed:${feed.name}`, status.feedCheck(feed.name));
  }
  // Counters only: the channel opens with the first order, so a health check would read "never connected" until then.
  if (broker?.streamCounters) metrics.watchFeed(FEED_CLOB_USER, () => broker.streamCounters!);
  const log = service.eventLog();
  if (log) metrics.timeAppends(log);
  if (broker) await broker.resume((tokenId) => marketContext(service!.system.markets, tokenId));
  // Intents the log left without an outcome (a crash after sending) are settled before any new one is sent.
  void redeemer?.resume();
  if (visualizer) logger.info({ visualizer: visualizer.url }, 'state-machine visualizer with the live actors');
  logger.info({ metrics: `${server.url}/metrics`, health: `${server.url}/healthz`, control: controlServer.url, mode: broker ? 'live' : 'paper' }, 'service started');
  return {
    service,
    metrics,
    health,
    server,
    controlServer,
    broker,
    redeemer,
    control,
    lastEvent: () => lastEvent,
    trading,
    async stop(reason) {
      await service!.stop(reason);
      stopLagProbe();
      await watchdog.stop();
      await broker?.close(false);
      await server.close();
      await controlServer.close();
      await visualizer?.close();
    },
  };
}
