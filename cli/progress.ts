import { SystemClock } from '../events/clock';

export interface Progress {
  events: number;
  bytes: number;
  totalBytes: number | null;
}

const WIDTH = 30;

/**
 * A one-line progress bar (percent of the input, events/s, ETA) on a terminal's stderr, redrawn at
 * most every 100 ms; null when stderr is not a terminal, so pipes and CI logs stay quiet.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): { update(p: Progress): void; done(): void } | null {
  if (!stream.isTTY) return null;
  const clock = new SystemClock();
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
      const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
      const etaText = Number.isFinite(eta) ? `ETA ${eta < 60 ? `${eta.toFixed(0)} s` : `${Math.floor(eta / 60)} min ${Math.round(eta % 60)} s`}` : 'ETA -';
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}%  ${Math.round(rate).toLocaleString('en-US')} events/s  ${etaText}   `);
    },
    done() {
      if (lastDraw !== -Infinity) stream.write('\r\x1b[K');
    },
  };
}
