import type { AnyEvent } from '../../events/types';
import type { Reactor } from '../engine';

export interface EventSink {
  onEvent(event: AnyEvent): void;
}

/**
 * An engine reactor that shows every event it is offered (non-trade inputs, signals, derived
 * events) to the metrics and the service status, and derives nothing: adding it changes no log.
 */
export function observabilityReactor(...sinks: EventSink[]): Reactor {
  return {
    name: 'observability',
    react(event: AnyEvent): void {
      for (const sink of sinks) sink.onEvent(event);
    },
  };
}
