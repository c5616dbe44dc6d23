import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InputError } from '../../events/errors';
import { EventLogWriter, type EventSink, type RenderedLine } from '../../events/log';
import { readLineBatches } from '../../events/lines';
import { mergeEventFiles, type MergedRecord } from '../../events/merge';
import { isInputType, type AnyEvent } from '../../events/types';
import { fileSha256 } from '../tickCache';
import { PendingOutputs } from '../outputFiles';

/** The derived-only output of a backtest (`--events derived`, docs/backtest.md "Derived-only output"). */
export const DERIVED_LOG = 'events.derived.jsonl';
export const DERIVED_INPUTS = 'events.inputs.json';

/** What `events.inputs.json` holds: the tick files the left-out inputs come from, and how they were selected. */
export interface DerivedLogInputs {
  format: 'pma-derived-log';
  version: 1;
  inputs: { file: string; sha256: string; bytes: number }[];
  from: number | null;
  to: number | null;
}

/**
 * The log a derived-only backtest writes: every event with the seq it has in the full log, except
 * the inputs copied from the tick files (their seqs are left as gaps). Inputs the backtest makes
 * itself (model quotes, synthetic timers) are written: no file holds them.
 */
export class DerivedOnlySink implements EventSink {
  constructor(private readonly inner: EventLogWriter) {}

  get lastSeq(): number {
    return this.inner.lastSeq;
  }

  append<E extends AnyEvent>(event: E): E {
    return this.inner.append(event);
  }

  appendLine(line: string): number {
    return this.inner.appendLine(line);
  }

  appendRead(_event: AnyEvent, _line: string): number {
    return this.inner.skip();
  }

  appendRendered(_line: RenderedLine): number {
    return this.inner.skip();
  }

  appendMade(line: RenderedLine): number {
    return this.inner.appendMade(line);
  }
}

export function writeDerivedInputs(path: string, inputs: DerivedLogInputs['inputs'], from: number | undefined, to: number | undefined): void {
  const body: DerivedLogInputs = { format: 'pma-derived-log', version: 1, inputs, from: from ?? null, to: to ?? null };
  writeFileSync(path, JSON.stringify(body, null, 2) + '\n');
}

/** The tick-file records a backtest copies into its log, in order: inputs only, within [from, to], read from `files` (one per referenced input). */
async function* copiedInputs(refs: DerivedLogInputs, files: readonly string[]): AsyncGenerator<MergedRecord> {
  const merged = mergeEventFiles(files);
  for (;;) {
    const next = await merged.next();
    if (next.done) return;
    for (const r of next.value) {
      const ts = r.event.ts;
      if ((refs.from !== null && ts < refs.from) || (refs.to !== null && ts > refs.to)) continue;
      if (isInputType(r.event.type)) yield r;
    }
  }
}

export interface MergeOptions {
  /**
   * The tick files to copy the inputs from, one for each that `events.inputs.json` names, in its order
   * (each checked against the SHA-256 recorded there). Absent: the paths recorded there, which are as
   * the backtest was given them (a relative one from the folder it ran in).
   */
  ticks?: readonly string[];
  /** Where the output is staged until it is complete (the caller can then say what a failure left). */
  outputs?: PendingOutputs;
}

/** The files to read the referenced inputs from, each checked against the SHA-256 the backtest read. */
async function checkedInputFiles(refs: DerivedLogInputs, inputsPath: string, ticks: readonly string[] | undefined): Promise<string[]> {
  if (ticks !== undefined && ticks.length !== refs.inputs.length) {
    throw new InputError({ file: '(command line)' }, '--ticks', `${ticks.length} file(s) given; ${inputsPath} names ${refs.inputs.length}, in this order: ${refs.inputs.map((i) => i.file).join(', ')}`);
  }
  const files = ticks === undefined ? refs.inputs.map((i) => i.file) : [...ticks];
  for (const [i, input] of refs.inputs.entries()) {
    const file = files[i];
    if (ticks === undefined && !existsSync(file)) {
      const where = isAbsolute(file) ? '' : ' (a relative path, as the backtest was given it: from the folder it ran in)';
      throw new InputError({ file: inputsPath }, `inputs[${i}].file`, `${file} not found${where}; run pma merge-log from that folder, or give the tick files with --ticks`);
    }
    const sha = await fileSha256(file);
    if (sha !== input.sha256) throw new InputError({ file: inputsPath }, `inputs[${i}].sha256`, `${file} has sha256 ${sha}, the backtest read ${input.sha256} (${input.file}); the log cannot be rebuilt from another file`);
  }
  return files;
}

/**
 * Rebuilds the full `events.jsonl` of a derived-only backtest: the referenced tick files (checked
 * against their SHA-256) merged in time order as the backtest read them, each input copied into the
 * seq gap it left, the derived log's lines between them. The result is byte for byte the log a
 * `--events full` run writes. It is written to `outPath` under a temporary name and renamed into
 * place only when complete: a failure leaves `outPath` as it was.
 */
export async function mergeDerivedLog(derivedPath: string, inputsPath: string, outPath: string, options: MergeOptions = {}): Promise<{ events: number; inputsCopied: number }> {
  const refs = JSON.parse(readFileSync(inputsPath, 'utf8')) as DerivedLogInputs;
  if (refs.format !== 'pma-derived-log' || refs.version !== 1) throw new InputError({ file: inputsPath }, 'format', 'expected pma-derived-log version 1');
  const files = await checkedInputFiles(refs, inputsPath, options.ticks);
  const outputs = options.outputs ?? new PendingOutputs();
  const out = EventLogWriter.open(outputs.temp(outPath), { truncate: true, durability: 'batched' });
  const inputs = copiedInputs(refs, files);
  let inputsCopied = 0;
  const copyUntil = async (seq: number) => {
    while (out.lastSeq < seq) {
      const next = await inputs.next();
      if (next.done) throw new InputError({ file: derivedPath }, 'seq', `seq ${seq + 1} follows a gap the referenced inputs do not fill (they end at seq ${out.lastSeq})`);
      out.appendRead(next.value.event, next.value.line);
      inputsCopied++;
    }
  };
  try {
    for await (const batch of readLineBatches(derivedPath)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i];
        if (line.length === 0) continue;
        const seq = Number(/^\{"v":[12],"seq":(\d+),/.exec(line)?.[1] ?? NaN);
        if (!Number.isSafeInteger(seq) || seq <= out.lastSeq) throw new InputError({ file: derivedPath, line: batch.firstLine + i }, 'seq', `expected a seq above ${out.lastSeq}`);
        await copyUntil(seq - 1);
        out.appendLine(line);
      }
    }
    for (let next = await inputs.next(); !next.done; next = await inputs.next()) {
      out.appendRead(next.value.event, next.value.line);
      inputsCopied++;
    }
    out.close();
  } catch (err) {
    try {
      out.close();
    } catch {
      // The first failure is the one to report; the partial file goes either way.
    }
    outputs.discard();
    throw err;
  }
  outputs.commit();
  return { events: out.lastSeq, inputsCopied };
}
