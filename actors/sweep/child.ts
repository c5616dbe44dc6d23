import type { RunJob } from './job';
import { runOne } from './runOne';

/** A worker process of `pma sweep` or `pma worker` (actors/sweep/runner.ts): runs one job per message, answers with its result. */
process.on('message', (msg: { job: RunJob; paths: string[]; tickCache?: string }) => {
  void runOne(msg.job, msg.paths, msg.tickCache).then((result) => process.send!(result));
});
// It lives as long as its parent's channel: Ctrl-C (sent to the whole process group) or SIGTERM is the parent's to
// handle (`pma worker` finishes the job in hand first); a parent gone, even SIGKILLed, ends it.
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
