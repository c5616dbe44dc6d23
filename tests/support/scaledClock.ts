import { SystemClock, type TimerId } from '../../events/clock';

/**
 * A `SystemClock` whose time runs `speed` times faster than the wall from `start` on (timers fire
 * after ms / speed of wall time), and can jump ahead: the live service runs simulated minutes in
 * seconds against real loopback servers, with its TTLs, backoff and window arithmetic unchanged.
 */
export class ScaledClock extends SystemClock {
  private readonly wall = new SystemClock();
  private readonly wallStart = this.wall.now();
  private offset = 0;

  constructor(
    private readonly start: number,
    readonly speed: number,
  ) {
    super();
  }

  override now(): number {
    return Math.floor(this.start + this.offset + (this.wall.now() - this.wallStart) * this.speed);
  }

  override setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerId {
    return super.setTimeout(fn, ms / this.speed);
  }

  /** Moves time forward by `ms` at once (pending timers keep their wall deadlines). */
  jump(ms: number): void {
    this.offset += ms;
  }

  /** Resolves once this clock has reached `at`. */
  async until(at: number): Promise<void> {
    while (this.now() < at) await this.wall.sleep(Math.max(1, Math.min(50, (at - this.now()) / this.speed)));
  }
}
