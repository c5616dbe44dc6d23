/**
 * `pma start` (the same `startService`, logger and clock) with one extra strategy that misbehaves on
 * `timer` events, for the watchdog test: `node bin/run-ts.js tests/support/hangingStrategyService.ts
 * CONFIG LOG CONTROL_DIR`. A file `pause` in CONTROL_DIR makes the next timer block the thread for
 * 1.5 s (once: the file is removed); a file `hang` makes it loop forever.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../actors/config/load';
import { createServiceLogger } from '../../actors/observability/logger';
import { startService } from '../../actors/service/run';
import type { Strategy } from '../../actors/strategies/types';
import { SystemClock } from '../../events/clock';
import type { EventType } from '../../events/types';

const [configPath, logPath, controlDir] = process.argv.slice(2);

const hanger: Strategy = {
  name: 'test_hanger',
  handles: new Set<EventType>(['timer']),
  react() {
    if (existsSync(join(controlDir, 'pause'))) {
      rmSync(join(controlDir, 'pause'));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    }
    if (existsSync(join(controlDir, 'hang'))) for (;;);
    return [];
  },
  persist: () => ({}),
  restore: () => undefined,
};

const logger = createServiceLogger({ env: process.env });
startService({
  config: loadConfig(configPath),
  logPath,
  env: process.env,
  logger,
  clock: new SystemClock(),
  live: false,
  extraStrategies: [hanger],
  disable: { binance: true, clobWs: true, rtds: true, scan: true },
}).catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
