import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { FIGURES_FILE } from './support/figures';

/**
 * `npm run chaos`: the chaos jest project, then every test's figures together, then `N passed, N failed`
 * (a suite that failed to load counts as one failure, as in .ci/run). Extra arguments go to jest.
 */
const root = resolve(__dirname, '../..');
const json = resolve(root, 'tests/artifacts/chaos-jest.json');
mkdirSync(resolve(root, 'tests/artifacts'), { recursive: true });
rmSync(FIGURES_FILE, { force: true });
rmSync(json, { force: true });
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const run = spawnSync(process.execPath, [jest, '--selectProjects', 'chaos', '--json', `--outputFile=${json}`, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });

process.stdout.write('\n== chaos figures ==\n');
process.stdout.write(existsSync(FIGURES_FILE) ? readFileSync(FIGURES_FILE, 'utf8') : '(no figures written)\n');
if (!existsSync(json)) {
  process.stdout.write('chaos: jest wrote no result (it failed before running)\n0 passed, 1 failed\n');
  process.exit(1);
}
interface JestResult {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { status: string; assertionResults: { status: string }[] }[];
}
const r = JSON.parse(readFileSync(json, 'utf8')) as JestResult;
const broken = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed')).length;
process.stdout.write(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed\n`);
process.exit(run.status ?? 1);
