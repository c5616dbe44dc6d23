import type { RunJob } from './job';
import { runOne } from './runOne';

/** A local worker process of `pma sweep` (actors/sweep/localPool.ts): runs one job per message, answers with its result. */
process.on('message', (msg: { job: RunJob; paths: string[] }) => {
  void runOne(msg.job, msg.paths).then((result) => process.send!(result));
});
process.on('disconnect', () => process.exit(0));
