import { readFileSync } from 'node:fs';
import { readLineBatches } from '../events/lines';

/** CPU seconds this process has used (user + system): robust to other load on a shared machine. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The ceiling of any replay of a tick file: stream its lines and `JSON.parse` each, nothing else. Returns the lines parsed. */
export async function bareParse(path: string): Promise<number> {
  let n = 0;
  for await (const batch of readLineBatches(path)) {
    for (const line of batch.lines) {
      if (line.length === 0) continue;
      JSON.parse(line);
      n++;
    }
  }
  return n;
}

/** CPU seconds (user + system) in a /proc stat file (Linux; 100 ticks a second). */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds (user + system) another process has used so far, all its threads. */
export const processCpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/stat`);

/** CPU seconds of a process's main thread (JavaScript, for Node); the rest is its background threads (V8's compiler, libuv). */
export const mainThreadCpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
