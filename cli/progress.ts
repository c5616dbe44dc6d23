import { SingleBar } from 'cli-progress';
import { SystemClock } from '../events/clock';

export interface Progress {
  /** Input events so far, counted as the command's summary counts them. */
  events: number;
  bytes: number;
  totalBytes: number | null;
}

export interface ProgressBar {
  update(p: Progress): void;
  /** Removes the bar (before the summary, an error or the interrupt line). */
  stop(): void;
}

/** `12.3 %` of the input read, or `-` when the size is unknown. */
export function percentOf(p: Progress): string {
  return p.totalBytes ? `${((Math.min(p.bytes, p.totalBytes) / p.totalBytes) * 100).toFixed(1)} %` : '-';
}

/**
 * A one-line bar on a terminal's stderr (cli-progress): percent of the input read, input events,
 * events/s, elapsed time and, with `eta`, the time left. Drawn at once and redrawn on a timer, so it
 * moves from the first second even before the first batch; null when stderr is not a terminal
 * (pipes and CI stay quiet).
 */
export function terminalProgress(options: { eta?: boolean } = {}, stream: NodeJS.WriteStream = process.stderr): ProgressBar | null {
  if (!stream.isTTY) return null;
  const clock = new SystemClock();
  const started = clock.now();
  const eta = options.eta ? ' | ETA {eta_formatted}' : '';
  const bar = new SingleBar({
    stream,
    format: `[{bar}] {percentage}% | {events} input events | {rate} events/s | {duration_formatted}${eta}`,
    barsize: 30,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    fps: 5,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
    etaAsynchronousUpdate: true,
  });
  const payload = (p: Progress) => {
    const seconds = Math.max(0.001, (clock.now() - started) / 1000);
    return { events: p.events.toLocaleString('en-US'), rate: Math.round(p.events / seconds).toLocaleString('en-US') };
  };
  bar.start(1, 0, payload({ events: 0, bytes: 0, totalBytes: null }));
  let stopped = false;
  return {
    update(p) {
      if (p.totalBytes) bar.setTotal(p.totalBytes);
      bar.update(p.totalBytes ? Math.min(p.bytes, p.totalBytes) : 0, payload(p));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
