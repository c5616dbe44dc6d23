/**
 * The order-id generator's own last good state: `rollback` puts back exactly the counts taken from since
 * `checkpoint` (a key first counted since then is gone again), whatever else the generator counts.
 */
import { OrderIdGenerator, orderIdText } from '../domain/orderId';

describe('OrderIdGenerator checkpoint and rollback', () => {
  it('puts back the counts taken since the checkpoint and forgets keys first counted since', () => {
    const ids = new OrderIdGenerator('s', { a: 3, b: 1 });
    ids.take('a');
    ids.checkpoint();
    expect(ids.toJSON()).toEqual({ a: 4, b: 1 });

    expect(orderIdText(ids.take('a'))).toBe('s:a:5');
    expect(orderIdText(ids.take('a'))).toBe('s:a:6');
    expect(orderIdText(ids.take('c'))).toBe('s:c:1');
    ids.rollback();
    expect(ids.toJSON()).toEqual({ a: 4, b: 1 });
    expect(orderIdText(ids.peek('a'))).toBe('s:a:5');
    expect(orderIdText(ids.peek('c'))).toBe('s:c:1');
    expect(ids.sent('c')).toBe(0);
  });

  it('keeps what was taken before a checkpoint, and a rollback without takes changes nothing', () => {
    const ids = new OrderIdGenerator('s');
    ids.take('x');
    ids.take('y');
    ids.checkpoint();
    ids.rollback();
    expect(ids.toJSON()).toEqual({ x: 1, y: 1 });
    ids.take('y');
    ids.checkpoint();
    ids.take('y');
    ids.rollback();
    expect(ids.toJSON()).toEqual({ x: 1, y: 2 });
  });
});
