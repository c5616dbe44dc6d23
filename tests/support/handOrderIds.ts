import type { AnyActorRef } from 'xstate';
import { OrderIdGenerator, orderIdText } from '../../domain/orderId';

/**
 * A strategy machine's actor driven as the strategy wrapper drives it (actors/strategies/keyedMachines.ts):
 * every event sent carries the id the key's next order gets, from the one generator, and every order
 * the machine emits must be under that id. Other actor methods pass through.
 */
export function handOrderIds<A extends AnyActorRef>(actor: A, strategy: string, key: string, sent: Record<string, number> = {}): A {
  const ids = new OrderIdGenerator(strategy, sent);
  actor.on('order_intent', (o: { orderId: string }) => {
    const id = orderIdText(ids.take(key));
    if (o.orderId !== id) throw new Error(`the machine emitted order ${o.orderId}, but the id handed to it is ${id}`);
  });
  return new Proxy(actor, {
    get(target, prop, receiver) {
      if (prop === 'send') return (e: object) => target.send({ ...e, nextOrder: ids.peek(key) });
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
