import type { AnyEvent, DerivedEvent } from '../../events/types';
import { isInputEvent } from '../../events/types';
import type { TradingReactor } from '../../actors/trading';

/** One event as the engine hands it to the trading reactor: an input is absorbed, then reacted to. */
export function feedTrading(trading: TradingReactor, event: AnyEvent): DerivedEvent[] {
  if (isInputEvent(event)) trading.absorb(event);
  return trading.react(event);
}
