import { Worker } from 'node:worker_threads';
import { monotonicMs, type SystemClock, type TimerId } from '../../events/clock';
import type { HealthCheck } from '../observability/health';

export interface WatchdogOptions {
  /** A stall this long (ms without a heartbeat from the event loop) is logged and counted. */
  warnMs: number;
  /** A stall this long ends the process (SIGKILL) for the process supervisor to restart; 0: never. */
  exitMs: number;
  /** How long /healthz stays degraded after a stall ended. */
  degradedForMs?: number;
}

/** The shared buffer: an Int32 heartbeat at byte 0; Float64 stats (written by the worker only) from byte 8. */
const BEAT = 0;
const STALLS = 1;
const LONGEST_MS = 2;
/** Epoch ms (timeOrigin + now: the two threads' performance.now() have different origins). */
const LAST_STALL_END = 3;

/**
 * The checking side, in its own thread: it keeps running while the main thread is stuck in a
 * synchronous loop (a strategy that never returns). It writes pino-shaped JSON lines straight to
 * fd 1 (the main thread's stdout stream cannot run), and ends the process with SIGKILL: a JS signal
 * handler on the blocked thread would never run. The event log is written synchronously per append,
 * so nothing acknowledged is lost (a restart rebuilds from it).
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { warnMs, exitMs, buffer, pid } = workerData;
const beats = new Int32Array(buffer, 0, 1);
const stats = new Float64Array(buffer, 8, 4);
const say = (level, msg, fields) => writeSync(1, JSON.stringify({ level, time: Date.now(), pid, msg, ...fields }) + '\\n');
let beat = Atomics.load(beats, ${BEAT});
let since = performance.now();
let warned = false;
setInterval(() => {
  const now = performance.now();
  const b = Atomics.load(beats, ${BEAT});
  if (b !== beat) {
    const stalledMs = Math.round(now - since);
    if (warned) {
      say(40, 'event loop stall ended', { stalledMs });
      stats[${STALLS}] += 1;
      if (stalledMs > stats[${LONGEST_MS}]) stats[${LONGEST_MS}] = stalledMs;
      stats[${LAST_STALL_END}] = performance.timeOrigin + now;
    }
    beat = b;
    since = now;
    warned = false;
    return;
  }
  const stalledMs = Math.round(now - since);
  if (!warned && stalledMs >= warnMs) {
    warned = true;
    say(50, 'event loop stalled: no input is being processed (a strategy or reactor that does not return?)', { stalledMs, exitAfterMs: exitMs || null });
  }
  if (exitMs > 0 && stalledMs >= exitMs) {
    say(60, 'event loop stalled too long: exiting for the process supervisor to restart (the event log is intact; the restart rebuilds from it)', { stalledMs });
    process.kill(pid, 'SIGKILL');
  }
}, Math.max(5, Math.min(warnMs, exitMs || warnMs) / 10));
`;

/**
 * Event-loop stall detection for the live service, outside the event path: the main thread bumps a
 * shared counter on a wall-clock timer; a worker thread watches it. What replaces the old
 * per-reaction deadline (which could not stop a synchronous hang anyway): a stall of `warnMs` is
 * logged (and, once over, counted: /healthz `event_loop` degraded, `pma_event_loop_stalls_total`);
 * a stall of `exitMs` kills the process so that its supervisor (docker `restart: unless-stopped`,
 * systemd) restarts it. Replays and backtests never start it.
 */
export class EventLoopWatchdog {
  private readonly buffer = new SharedArrayBuffer(8 + 4 * 8);
  private readonly beats = new Int32Array(this.buffer, 0, 1);
  private readonly statsView = new Float64Array(this.buffer, 8, 4);
  private readonly worker: Worker;
  private timer: TimerId | null = null;
  private stopped = false;

  constructor(
    private readonly options: WatchdogOptions,
    private readonly clock: SystemClock,
  ) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { warnMs: options.warnMs, exitMs: options.exitMs, buffer: this.buffer, pid: process.pid } });
    this.worker.unref();
    this.beat();
  }

  private beat(): void {
    if (this.stopped) return;
    Atomics.add(this.beats, BEAT, 1);
    this.timer = this.clock.setBackgroundTimeout(() => this.beat(), Math.max(5, this.options.warnMs / 10));
  }

  /** Stalls that ended, the longest, and when the last one ended (ms since the watchdog started; null if none). */
  stats(): { stalls: number; longestMs: number; lastEndedAgoMs: number | null } {
    const stalls = this.statsView[STALLS];
    const ago = Math.max(0, Math.round(performance.timeOrigin + monotonicMs() - this.statsView[LAST_STALL_END]));
    return { stalls, longestMs: this.statsView[LONGEST_MS], lastEndedAgoMs: stalls === 0 ? null : ago };
  }

  /** Degraded for `degradedForMs` (default 5 min) after a stall ended. */
  check(): HealthCheck {
    const window = this.options.degradedForMs ?? 300_000;
    return () => {
      const s = this.stats();
      if (s.lastEndedAgoMs === null || s.lastEndedAgoMs > window) return { status: 'ok', detail: s.stalls === 0 ? 'no stall' : `${s.stalls} stall(s), longest ${s.longestMs} ms, none in the last ${window} ms` };
      return { status: 'degraded', detail: `event loop stalled ${s.stalls} time(s), longest ${s.longestMs} ms, the last ended ${s.lastEndedAgoMs} ms ago` };
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    await this.worker.terminate();
  }
}
