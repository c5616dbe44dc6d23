import type { InputEvent } from '../../events/types';

/**
 * Serialises inputs from concurrent sources (feeds, scans, LLM answers, clock ticks) into the
 * engine one at a time, in arrival order: each is logged and fully reacted to before the next.
 */
export class InputQueue {
  private readonly queue: { event: InputEvent; done?: (err?: unknown) => void }[] = [];
  /** The drain in progress, or null. Set before the drain starts: a drain of synchronous inputs ends inside `push`. */
  private running: Promise<void> | null = null;
  private draining = false;
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
    this.enqueue({ event });
  }

  /** Pushes and resolves once the event is logged and reacted to (rejects if it never will be). */
  pushAndWait(event: InputEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed || this.failure !== null) reject(new Error(`input queue is ${this.failure !== null ? 'failed' : 'closed'}: ${event.type} not logged`));
      else this.enqueue({ event, done: (err) => (err === undefined ? resolve() : reject(err)) });
    });
  }

  private enqueue(item: { event: InputEvent; done?: (err?: unknown) => void }): void {
    if (this.closed || this.failure !== null) return;
    this.queue.push(item);
    if (this.queue.length > this.maxDepth) this.maxDepth = this.queue.length;
    if (!this.draining) {
      this.draining = true;
      this.running = this.drain();
    }
  }

  /** Stops accepting inputs; resolves when the ones already queued are processed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** Resolves when the queue is empty. */
  async idle(): Promise<void> {
    while (this.draining && this.running) await this.running;
  }

  get stats(): { processed: number; depth: number; maxDepth: number; failed: boolean } {
    return { processed: this.processed, depth: this.queue.length, maxDepth: this.maxDepth, failed: this.failure !== null };
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === null) {
        const item = this.queue.shift()!;
        try {
          const pending = this.ingest(item.event);
          if (pending !== undefined) await pending;
          this.processed++;
          item.done?.();
        } catch (err) {
          this.failure = err;
          item.done?.(err);
          for (const rest of this.queue.splice(0)) rest.done?.(err);
          this.onFailure(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
