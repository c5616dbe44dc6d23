import { SystemClock, type Clock } from '../events/clock';

export interface Progress {
  events: number;
  bytes: number;
  totalBytes: number | null;
}

export interface ProgressBar {
  update(p: Progress): void;
  done(): void;
}

const WIDTH = 30;

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'ETA -';
  return seconds < 60 ? `ETA ${seconds.toFixed(0)} s` : `ETA ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/**
 * A one-line progress bar: percent of the input (by bytes), events, events/s and, with `eta`, the
 * time left; redrawn at most every 100 ms of the clock, cleared by `done()`.
 */
export function progressBar(write: (text: string) => void, clock: Pick<Clock, 'now'>, options: { eta?: boolean } = {}): ProgressBar {
  const start = clock.now();
  let lastDraw = -Infinity;
  return {
    update(p) {
      const now = clock.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      const fraction = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 0;
      const filled = Math.round(fraction * WIDTH);
      const elapsed = Math.max(0.001, (now - start) / 1000);
      const rate = p.events / elapsed;
      const eta = options.eta ? ` ${formatEta(fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN)} ` : '';
      write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${p.events.toLocaleString('en-US')} events  ${Math.round(rate).toLocaleString('en-US')} events/s ${eta}`);
    },
    done() {
      if (lastDraw !== -Infinity) write('\r\x1b[K');
    },
  };
}

/** The progress bar on a terminal's stderr, or null when stderr is not a terminal (pipes and CI stay quiet). */
export function terminalProgress(options: { eta?: boolean } = {}, stream: NodeJS.WriteStream = process.stderr): ProgressBar | null {
  return stream.isTTY ? progressBar((text) => stream.write(text), new SystemClock(), options) : null;
}
