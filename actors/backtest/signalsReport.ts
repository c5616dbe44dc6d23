import { mergeEventFiles } from '../../events/merge';
import type { TradeEvent } from '../../events/types';
import { SignalHorizons, type HorizonQuality } from './signalHorizons';
import { SignalDetector, type SignalParams } from '../../streams/signals';

export interface ThresholdQuality {
  threshold: number;
  quality: HorizonQuality;
}

/**
 * `pma signals`: the trades of the tick files (merged in time order) through the signal detector once
 * per threshold (the rest of the parameters as given), each signal judged at 10 s, 30 s, 60 s and the
 * window's end, per signal and per episode. One pass over the files.
 */
export async function measureSignals(ticks: string[], params: SignalParams, thresholds: number[]): Promise<ThresholdQuality[]> {
  const runs = thresholds.map((threshold) => ({ threshold, detector: new SignalDetector({ ...params, threshold }), horizons: new SignalHorizons(params.windowMs) }));
  const merged = mergeEventFiles(ticks);
  for (;;) {
    const next = await merged.next();
    if (next.done) break;
    for (const record of next.value) {
      if (record.event.type !== 'trade') continue;
      const trade = record.event as TradeEvent;
      for (const r of runs) {
        r.horizons.onTrade(trade);
        const signal = r.detector.onTrade(trade);
        if (signal !== null) r.horizons.onSignal(signal);
      }
    }
  }
  return runs.map((r) => ({ threshold: r.threshold, quality: r.horizons.finish() }));
}
