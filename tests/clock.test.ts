import { SimulatedClock } from '../events/clock';

describe('SimulatedClock', () => {
  it('fires due timers in due order, ties by creation, with now() at each due time', () => {
    const clock = new SimulatedClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 500);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 500);
    const cancelled = clock.setTimeout(() => fired.push('never'), 300);
    clock.clearTimeout(cancelled);
    clock.advanceTo(1_400);
    expect(fired).toEqual(['a@1200']);
    expect(clock.now()).toBe(1_400);
    clock.advanceTo(2_000);
    expect(fired).toEqual(['a@1200', 'b@1500', 'c@1500']);
    expect(clock.now()).toBe(2_000);
  });

  it('never goes back in time and runs timers scheduled by timers', () => {
    const clock = new SimulatedClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10);
    }, 10);
    clock.advanceTo(100);
    clock.advanceTo(50);
    expect(fired).toEqual([10, 20]);
    expect(clock.now()).toBe(100);
    expect(clock.pendingCount).toBe(0);
  });
});
