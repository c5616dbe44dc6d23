import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventLogWriter, readAllEvents } from '../events/log';

const ROOT = resolve(__dirname, '..');

/** Runs the writer child for `ms`, SIGKILLs it, and returns the highest seq it acknowledged. */
function runAndKill(path: string, durability: string, ms: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'tests/support/logWriterProcess.ts', path, durability], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let rest = '';
    let stderr = '';
    let started = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked = Number(l.slice(4));
      if (!started) {
        started = true;
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr}`));
      else resolvePromise(acked);
    });
  });
}

describe('event log under SIGKILL', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-crash-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['write', 'fsync'])('keeps every acknowledged event across 12 kills (durability %s)', async (durability) => {
    const path = join(dir, `log-${durability}.jsonl`);
    let tornSeen = 0;
    let lastAcked = 0;
    for (let round = 0; round < 12; round++) {
      const acked = await runAndKill(path, durability, 20 + ((round * 37) % 120));
      lastAcked = Math.max(lastAcked, acked);
      const { records, summary } = await readAllEvents(path);
      const seqs = records.map((r) => r.event.seq);
      // Every acknowledged event is there, the sequence has no hole, and nothing beyond one unacknowledged line.
      expect(seqs.length).toBeGreaterThanOrEqual(lastAcked);
      expect(seqs.length).toBeLessThanOrEqual(lastAcked + 1);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      if (summary.tornTail) {
        tornSeen++;
        expect(summary.tornTail.line).toBe(seqs.length + 1);
        // The next writer cuts the torn tail off and continues the sequence.
        const reopened = EventLogWriter.open(path);
        expect(reopened.tornTail?.offset).toBe(summary.tornTail.offset);
        expect(reopened.lastSeq).toBe(seqs.length);
        reopened.close();
      }
      lastAcked = seqs.length;
    }
    expect(lastAcked).toBeGreaterThan(12);
    console.log(`durability ${durability}: ${lastAcked} events after 12 kills, ${tornSeen} torn tails reported and cut`);
  });
});
