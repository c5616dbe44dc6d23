import { renderedText } from '../../events/bytes';
import { lineWithSeq, type EventSink, type RenderedLine } from '../../events/log';
import { isInputType, type AnyEvent } from '../../events/types';

/**
 * The log a rebuild appends to: it writes nothing, numbers events exactly as the real log did (the
 * rebuild replays the whole log from seq 1), and keeps the lines the latest input derived, so the
 * service can tell whether a crash cut that input's derived events short.
 */
export class RebuildSink implements EventSink {
  private seq = 0;
  private derived: string[] = [];

  get lastSeq(): number {
    return this.seq;
  }

  /** The lines, seq included, that the latest input derived. */
  get derivedByLastInput(): readonly string[] {
    return this.derived;
  }

  append<E extends AnyEvent>(event: E): E {
    event.seq = ++this.seq;
    this.note(event.type, JSON.stringify(event));
    return event;
  }

  appendLine(line: string): number {
    this.derived.push(lineWithSeq(line, ++this.seq));
    return this.seq;
  }

  appendRead(event: AnyEvent, _line: string): number {
    this.note(event.type, '');
    return ++this.seq;
  }

  /** A derived line rendered by the engine (a signal). */
  appendMade(line: RenderedLine): number {
    this.derived.push(renderedText(line, ++this.seq));
    return this.seq;
  }

  /** An input rendered from its columns (a tick cache's trade). */
  appendRendered(_line: RenderedLine): number {
    this.derived = [];
    return ++this.seq;
  }

  private note(type: string, line: string): void {
    if (isInputType(type)) this.derived = [];
    else this.derived.push(line);
  }
}
