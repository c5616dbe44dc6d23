import type { InputEvent } from '../../events/types';

/**
 * Serialises inputs from concurrent sources (feeds, scans, LLM answers, clock ticks) into the
 * engine one at a time, in arrival order: each is logged and fully reacted to before the next.
 */
export class InputQueue {
  private readonly queue: InputEvent[] = [];
  private running: Promise<void> | null = null;
  private failure: unknown = null;
  private closed = false;
  private processed = 0;
  private maxDepth = 0;

  constructor(
    private readonly ingest: (event: InputEvent) => void | Promise<void>,
    /** Called once with the error that stopped the queue (e.g. the event log failed). */
    private readonly onFailure: (err: unknown) => void,
  ) {}

  push(event: InputEvent): void {
    if (this.closed || this.failure !== null) return;
    this.queue.push(event);
    if (this.queue.length > this.maxDepth) this.maxDepth = this.queue.length;
    this.running ??= this.drain();
  }

  /** Stops accepting inputs; resolves when the ones already queued are processed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** Resolves when the queue is empty. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  get stats(): { processed: number; depth: number; maxDepth: number; failed: boolean } {
    return { processed: this.processed, depth: this.queue.length, maxDepth: this.maxDepth, failed: this.failure !== null };
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === null) {
        const event = this.queue.shift()!;
        try {
          const pending = this.ingest(event);
          if (pending !== undefined) await pending;
          this.processed++;
        } catch (err) {
          this.failure = err;
          this.queue.length = 0;
          this.onFailure(err);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
