import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAllEvents } from '../events/log';
import { ServiceProcess, wallClock } from './chaos/support/serviceProcess';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-watchdog-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sample = (metrics: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = wallClock.now() + timeoutMs;
  while (!(await ok())) {
    if (wallClock.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wallClock.sleep(20);
  }
}

it('a strategy that stalls, then hangs, in a real pma start process: the watchdog logs the stall, reports it on /healthz and /metrics, then ends the process; the event log is intact', async () => {
  const configPath = join(dir, 'config.json');
  const logPath = join(dir, 'events.jsonl');
  writeFileSync(configPath, JSON.stringify({ llm: { enabled: false }, service: { tickMs: 100, stallWarnMs: 300, stallExitMs: 2000, metricsPort: 0, controlPort: 0 } }));
  const p = new ServiceProcess({ script: 'tests/support/hangingStrategyService.ts', args: [configPath, logPath, dir], env: {} });
  try {
    await p.started(60_000);
    expect(JSON.parse((await p.get('/healthz')).body).checks.event_loop.status).toBe('ok');

    // A 1.5 s stall: logged while it lasts, counted once it ends.
    writeFileSync(join(dir, 'pause'), '');
    await p.logged('event loop stall ended', 20_000);
    const health = JSON.parse((await p.get('/healthz')).body) as { status: string; checks: Record<string, { status: string; detail: string }> };
    expect(health.checks.event_loop.status).toBe('degraded');
    expect(health.checks.event_loop.detail).toMatch(/stalled 1 time\(s\)/);
    const metrics = (await p.get('/metrics')).body;
    expect(sample(metrics, 'pma_event_loop_stalls_total')).toBe(1);
    expect(sample(metrics, 'pma_event_loop_longest_stall_seconds')).toBeGreaterThanOrEqual(0.3);
    const ended = p.logLines().find((l) => l.msg === 'event loop stall ended')!;
    expect(ended.stalledMs).toBeGreaterThanOrEqual(300);

    // A hang: the process is ended for its supervisor to restart.
    writeFileSync(join(dir, 'hang'), '');
    expect(await p.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const lines = p.logLines();
    const stalled = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('event loop stalled'));
    expect(stalled.map((l) => l.level)).toEqual([50, 50, 60]);
    expect(Number(stalled[2].stalledMs)).toBeGreaterThanOrEqual(2000);

    // Every appended event is whole; the last is the timer the strategy hung on.
    const { records, summary } = await readAllEvents(logPath);
    expect(summary.tornTail).toBeNull();
    expect(records.length).toBeGreaterThan(2);
    expect(records[records.length - 1].event.type).toBe('timer');
    expect(records.map((r) => r.event.seq)).toEqual(records.map((_, i) => i + 1));
  } finally {
    if (p.running) p.kill('SIGKILL');
    await p.exited;
  }
}, 90_000);
