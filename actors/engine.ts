import { SimulatedClock, type Clock } from '../events/clock';
import { TemplateTrade } from '../events/tradeTemplate';
import type { EventSink, LogRecord, RenderedLine } from '../events/log';
import { isInputEvent, isInputType, makeEvent, type AnyEvent, type DerivedEvent, type EventType, type InputEvent, type SignalEvent, type TradeEvent } from '../events/types';
import { SignalCounter, type SignalCounts } from '../streams/signalCounts';
import { SignalDetector, SignalLine, type SignalParams } from '../streams/signals';

export type Reaction = readonly DerivedEvent[] | void;

/**
 * The rest of the system as the engine sees it (market state, the supervisor and its strategies,
 * risk, broker, portfolio). A reactor gets every non-trade input, every signal, and every derived
 * event another reactor returned, in log order, and returns the derived events it causes. It must
 * take time from the events (or the engine's clock), never from the wall.
 */
export interface Reactor {
  readonly name: string;
  /** The event types it reacts to; every type that reaches reactors when absent. */
  readonly handles?: ReadonlySet<EventType>;
  react(event: AnyEvent): Reaction;
  /**
   * Folds an input into the state the reactor keeps (books, positions) before any reactor reacts to
   * any input of the same instant: every input of one `ingestInstant` is absorbed first, so no
   * reaction sees a price together with an older book of the same instant.
   */
  absorb?(event: InputEvent): void;
  /** The earliest event time at which the reactor has something to do on its own (a paper order arriving at the book), or null. */
  dueAt?(): number | null;
  /** Does what is due at `ts` (the engine's clock is at `ts`, every input up to `ts` absorbed). */
  wake?(ts: number): Reaction;
}

/** Market data that is one update when consecutive inputs share a millisecond (a quote's snapshot and books). */
export const INSTANT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot', 'book', 'book_delta', 'last_trade', 'tick_size_change']);

/** An input of an instant, with its tick-file line when it was read from one (copied through as it is). */
export interface InstantRecord {
  event: InputEvent;
  /** Its line as text, or rendered straight into the log (a `RenderedLine`), or null: serialised. */
  line: string | RenderedLine | null;
  /**
   * The line is the backtest's own rendering of an input it made (the market model's quotes, its clock
   * ticks), not one read from a tick file: appended as the log's own line (a derived-only log keeps it).
   */
  made?: boolean;
}

export interface EngineOptions {
  log: EventSink;
  signals: SignalParams;
  /** A `SimulatedClock` (replay) is advanced to each input's ts before it is appended; a live clock is only read. */
  clock: Clock;
}

export interface EngineStats {
  inputs: number;
  trades: number;
  /** Derived events appended (signals and reactor outputs). */
  derived: number;
  signals: SignalCounts;
}

/** Derived events one input may cause at most: more means reactors feed each other in a loop. */
export const MAX_CASCADE = 10_000;

interface Queued {
  event: AnyEvent;
  /** The reactor that returned it (it is not offered back), or null for inputs and signals. */
  from: Reactor | null;
}

/**
 * The one path live and replay share: each input is appended to the log before anything reacts to
 * it; trades go synchronously through the signal detector (a signal is appended right after its
 * trade); other inputs and signals go to the reactors, whose derived events are appended in order.
 *
 * Everything is synchronous: when `ingest` returns, the input and all it caused are appended, so the
 * log order never depends on timing, and no promise or timer is paid per event.
 */
export class Engine {
  readonly clock: Clock;
  private log: EventSink;
  private readonly simulated: SimulatedClock | null;
  /** The signal pipeline's core, called per trade (the `tradeSignals` operator's own detector, without an observable per trade). */
  private readonly detector: SignalDetector;
  private readonly counter = new SignalCounter();
  private readonly reactors: Reactor[] = [];
  /** The reactors that can have something due on their own (`dueAt`), in the order added. */
  private readonly timed: Reactor[] = [];
  private failure: unknown = null;
  private inputs = 0;
  private tradeCount = 0;
  private derived = 0;

  constructor(options: EngineOptions) {
    this.log = options.log;
    this.clock = options.clock;
    this.simulated = options.clock instanceof SimulatedClock ? options.clock : null;
    this.detector = new SignalDetector(options.signals);
  }

  /**
   * Writes to another log from now on. A restarting service rebuilds its state by replaying its own
   * log into a throwaway writer, then continues on the real one with every window and actor intact.
   */
  switchLog(log: EventSink): void {
    this.log = log;
  }

  /** Adds a reactor; reactors see each event in the order they were added. */
  use(reactor: Reactor): this {
    this.reactors.push(reactor);
    if (reactor.dueAt !== undefined) this.timed.push(reactor);
    return this;
  }

  /** A live input event: serialised and appended, then reacted to. */
  ingest(event: InputEvent): void {
    this.wakeBefore(event.ts);
    this.accept(event, null);
  }

  /**
   * One instant: inputs with the same ts that together say what the market is (a model quote's
   * snapshot and both books, a recording's updates of one millisecond). All are appended and absorbed
   * before any reactor reacts to any of them, so every reaction sees the whole instant's state.
   */
  ingestInstant(items: readonly (InputEvent | InstantRecord)[]): void {
    if (items.length === 0) return;
    const records = items.map((i): InstantRecord => ('event' in i ? i : { event: i, line: null }));
    const ts = records[0].event.ts;
    for (const { event } of records) {
      if (event.ts !== ts) throw new Error(`engine: an instant holds one ts, got ${ts} and ${event.ts}`);
      if (event.type === 'trade') throw new Error('engine: trades are not part of an instant; ingest them one by one');
    }
    this.wakeBefore(ts);
    if (this.failure !== null) throw this.failure;
    this.simulated?.advanceTo(ts);
    for (const r of records) this.appendInput(r.event, r.line, r.made === true);
    for (const r of records) this.absorb(r.event);
    if (this.reactors.length === 0) return;
    this.drain(
      records.map((r): Queued => ({ event: r.event, from: null })),
      records[0].event,
    );
  }

  /** Lets reactors do what is due at or before `ts` (paper orders reaching the book), in time order. */
  advanceTo(ts: number): void {
    this.wakeBefore(ts + 1);
  }

  /** A record read from a tick file: its line is copied through as it is (only seq replaced). */
  ingestRecord(record: LogRecord): void {
    return this.ingestLine(record.event, record.line, record.lineNo);
  }

  /** `ingestRecord` for a line parsed by the caller (`parseEventLine`) into `event`. */
  ingestLine(event: AnyEvent, line: string, lineNo: number): void {
    if (event.type !== 'trade' && !isInputEvent(event)) throw new Error(`engine: line ${lineNo} is a derived '${event.type}' event, not an input`);
    this.wakeBefore(event.ts);
    this.accept(event, line);
  }

  /** A trade read as a template line (a columnar cache's, a scanned one): its line rendered straight into the log, its numbers exact. */
  ingestTemplateTrade(record: TemplateTrade): void {
    this.wakeBefore(record.event.ts);
    this.accept(record.event, record);
  }

  /** An input as the replay loop read it: a template trade (`ingestTemplateTrade`), else a line (`ingestLine`). */
  ingestRead(event: AnyEvent, read: { line: string; lineNo: number }): void {
    if (read instanceof TemplateTrade) return this.ingestTemplateTrade(read);
    return this.ingestLine(event, read.line, read.lineNo);
  }

  stats(): EngineStats {
    return { inputs: this.inputs, trades: this.tradeCount, derived: this.derived, signals: this.counter.snapshot() };
  }

  /** Runs what reactors have due strictly before `ts`, each at its own time, earliest first (a tie: the first added). */
  private wakeBefore(ts: number): void {
    for (;;) {
      let reactor: Reactor | null = null;
      let at = ts;
      for (const r of this.timed) {
        const due = r.dueAt!();
        if (due !== null && due < at) {
          at = due;
          reactor = r;
        }
      }
      if (reactor === null) return;
      if (this.failure !== null) throw this.failure;
      this.simulated?.advanceTo(at);
      const cause = makeEvent('timer', at, { name: 'due' });
      const queue: Queued[] = [];
      let out: Reaction = [];
      let err: unknown = null;
      try {
        out = reactor.wake!(at);
      } catch (e) {
        err = e;
      }
      this.appendDerived(reactor, cause, out, err, queue);
      this.drain(queue, cause);
    }
  }

  private appendInput(event: InputEvent, line: string | RenderedLine | null, made = false): void {
    if (line === null) this.log.append(event);
    else if (typeof line !== 'string') event.seq = made ? this.log.appendMade(line) : this.log.appendRendered(line);
    else event.seq = made ? this.log.appendLine(line) : this.log.appendRead(event, line);
    this.inputs++;
  }

  private absorb(event: InputEvent): void {
    for (const r of this.reactors) r.absorb?.(event);
  }

  private accept(event: InputEvent, line: string | RenderedLine | null): void {
    if (this.failure !== null) throw this.failure;
    this.simulated?.advanceTo(event.ts);
    this.appendInput(event, line);
    if (event.type === 'trade') return this.onTrade(event, line);
    this.absorb(event);
    if (this.reactors.length === 0) return;
    return this.drain([{ event, from: null }], event);
  }

  /** A trade (appended already) through the signal detector; a signal is appended right after it and offered to the reactors. */
  private onTrade(trade: TradeEvent, line: string | RenderedLine | null): void {
    this.tradeCount++;
    let signal: SignalEvent | null;
    try {
      // A template trade has its price and quantity as exact numbers already.
      signal = line instanceof TemplateTrade ? this.detector.onTradeValues(trade, line.priceNumber, line.qtyNumber) : this.detector.onTrade(trade);
      if (signal === null) return;
      signal.seq = this.log.appendMade(new SignalLine(signal));
    } catch (err) {
      // The engine stops at its first failure: every later input is refused with it.
      this.failure ??= err;
      throw err;
    }
    this.derived++;
    this.counter.add(signal);
    if (this.reactors.length > 0) this.drain([{ event: signal, from: null }], trade);
  }

  /**
   * Offers the queue's events (inputs and signals first) to every reactor in order; events a reactor
   * returns join the queue for the other reactors.
   */
  private drain(queue: Queued[], input: AnyEvent): void {
    for (let qi = 0; qi < queue.length; qi++) {
      if (queue.length > MAX_CASCADE) throw new Error(`engine: input seq ${input.seq} (${input.type}) caused more than ${MAX_CASCADE} derived events; reactors are feeding each other in a loop`);
      const { event, from } = queue[qi];
      for (const reactor of this.reactors) {
        if (reactor === from) continue;
        if (reactor.handles !== undefined && !reactor.handles.has(event.type)) continue;
        let out: Reaction;
        try {
          out = reactor.react(event);
        } catch (err) {
          this.appendDerived(reactor, event, [], err, queue);
          continue;
        }
        this.appendDerived(reactor, event, out, null, queue);
      }
    }
  }

  /** Appends a reactor's output; a throw or an input event returned becomes a named `error` event. */
  private appendDerived(reactor: Reactor, cause: AnyEvent, out: Reaction, err: unknown, queue: Queued[]): void {
    if (err !== null) {
      this.appendOne(makeEvent('error', cause.ts, { source: reactor.name, kind: 'throw', message: err instanceof Error ? err.message : String(err) }), reactor, queue);
      return;
    }
    for (const event of out ?? []) {
      const type: string = event.type;
      if (isInputType(type)) {
        this.appendOne(makeEvent('error', cause.ts, { source: reactor.name, kind: 'invalid', message: `returned an input event '${type}'; reactors may only derive` }), reactor, queue);
      } else {
        this.appendOne(event, reactor, queue);
      }
    }
  }

  private appendOne(event: DerivedEvent, from: Reactor, queue: Queued[]): void {
    this.log.append(event);
    this.derived++;
    queue.push({ event, from });
  }
}
