import type { Strategy } from '../../actors/strategies/types';
import { makeEvent, type AnyEvent, type EventType, type FillEvent, type OrderIntentEvent } from '../../events/types';

/** What a live service test's environment holds: made-up API credentials derived from a throwaway key, and the operator token. */
export function liveEnv(privateKey: string, token: string): Record<string, string> {
  return { POLYMARKET_PRIVATE_KEY: privateKey, POLYMARKET_API_KEY: `key-${privateKey.slice(20, 32)}`, POLYMARKET_API_SECRET: Buffer.from(`secret-${privateKey.slice(2, 18)}`).toString('base64url'), POLYMARKET_API_PASSPHRASE: `pass-${privateKey.slice(40, 52)}`, PMA_CONTROL_TOKEN: token };
}

/** A strategy `probe` that sends `orders` (limit BUYs, ids `probe:1`, `probe:2`, ...) on the first book it sees, and keeps the fills it is told of. */
export function probe(marketId: string, orders: { tokenId: string; price: string; size: string }[]): Strategy & { fills: FillEvent[] } {
  let sent = false;
  const fills: FillEvent[] = [];
  return {
    name: 'probe',
    fills,
    handles: new Set<EventType>(['book', 'fill']),
    react(event: AnyEvent): OrderIntentEvent[] {
      if (event.type === 'fill') fills.push(event);
      if (event.type !== 'book' || sent) return [];
      sent = true;
      return orders.map((o, i) => makeEvent('order_intent', event.ts, { orderId: `probe:${i + 1}`, strategy: 'probe', marketId, tokenId: o.tokenId, side: 'BUY', price: o.price, size: o.size, orderType: 'limit', reason: 'test', outcome: 'Yes', groupId: null }));
    },
    persist: () => ({ sent }),
    restore: (s) => void (sent = (s as { sent: boolean }).sent),
  };
}
