import { resolve } from 'node:path';
import { join } from 'node:path';
import { runBacktest } from '../../../actors/backtest/run';
import { defaultConfig } from '../../../actors/config/load';
import type { Config } from '../../../actors/config/schema';
import type { Strategy } from '../../../actors/strategies/types';
import { SystemClock } from '../../../events/clock';
import { readAllEvents, type LogRecord } from '../../../events/log';

export const DEMO_TICKS = resolve(__dirname, '../../../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

/** A backtest of the repository's demo tick file (BTCUSDT+ETHUSDT, 34,419 real trades); its log's records. */
export async function demoRun(reportDir: string, config: Config = defaultConfig(), extraStrategies?: Strategy[]): Promise<LogRecord[]> {
  await runBacktest({ ticks: [DEMO_TICKS], config, reportDir, extraStrategies });
  return (await readAllEvents(join(reportDir, 'events.jsonl'))).records;
}
