import { SystemClock } from '../../../events/clock';

/**
 * Wall-clock timers, but `now()` is the event time of the input being fed (set `t`): a recorded run
 * fed through the live service keeps its own time, so risk ages and LLM answers land in it.
 */
export class FeedTimeClock extends SystemClock {
  t = 0;
  override now(): number {
    return this.t;
  }
}
