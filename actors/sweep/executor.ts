import type { RunJob, RunResult } from './job';

/** Runs a sweep's jobs somewhere (local child processes, or workers behind NATS) and hands back each result once. */
export interface Executor {
  /** Resolves when every job has a result; `onResult` hears each as it arrives (progress). Jobs with the same hash run once. */
  run(jobs: RunJob[], onResult: (r: RunResult) => void): Promise<Map<string, RunResult>>;
  close(): Promise<void>;
}

/** The jobs without repeats (two grid points that make the same config are one run). */
export function distinct(jobs: RunJob[]): RunJob[] {
  const seen = new Set<string>();
  return jobs.filter((j) => (seen.has(j.hash) ? false : (seen.add(j.hash), true)));
}
