import { JudgementQueue } from '../actors/backtest/judgementQueue';

describe('JudgementQueue', () => {
  it('judges in deadline order across growth and wrap-around, as a plain list would', () => {
    const queue = new JudgementQueue();
    const list: { deadline: number; price: number; tag: number }[] = [];
    const fromQueue: [number, boolean][] = [];
    const fromList: [number, boolean][] = [];
    let deadline = 1_000;
    // Push and judge interleaved so the ring wraps before and after it grows (16 -> 32 -> 64 slots).
    for (let step = 0; step < 200; step++) {
      const pushes = step < 60 ? 3 : 1;
      for (let k = 0; k < pushes; k++) {
        deadline += 7;
        const entry = { deadline, price: 100 + ((step * 13 + k) % 9), tag: (step + k) % 4 };
        queue.push(entry.deadline, entry.price, entry.tag);
        list.push(entry);
      }
      const ts = 1_000 + step * 9;
      const later = 100 + (step % 11) - 1;
      queue.judgeBefore(ts, later, (tag, wrong) => fromQueue.push([tag, wrong]));
      while (list.length > 0 && list[0].deadline < ts) {
        const e = list.shift()!;
        fromList.push([e.tag, (e.tag & 1) === 1 ? later < e.price : later > e.price]);
      }
      expect(queue.length).toBe(list.length);
      expect(queue.firstDeadline).toBe(list.length > 0 ? list[0].deadline : Infinity);
    }
    expect(fromQueue).toEqual(fromList);
    expect(fromQueue.length).toBeGreaterThan(100);
    expect(fromQueue.some(([, wrong]) => wrong)).toBe(true);
    expect(fromQueue.some(([, wrong]) => !wrong)).toBe(true);
    const left: number[] = [];
    queue.drain((tag) => left.push(tag));
    expect(left).toEqual(list.map((e) => e.tag));
    expect(queue.length).toBe(0);
    expect(queue.firstDeadline).toBe(Infinity);
  });
});
