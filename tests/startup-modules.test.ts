import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The packages a module graph loads, from a fresh Node process (jest's own registry would hide them). */
function packagesLoadedBy(entry: string): string[] {
  const script = `require('tsx/cjs'); require(${JSON.stringify(resolve(__dirname, '..', entry))});
    const names = new Set(Object.keys(require.cache).flatMap((f) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f); return m ? [m[1]] : []; }));
    process.stdout.write(JSON.stringify([...names].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: resolve(__dirname, '..'), encoding: 'utf8' })) as string[];
}

it('a paper service loads neither the CLOB signing client nor the Anthropic SDK until it needs them (they are most of its start-up time)', () => {
  const loaded = packagesLoadedBy('cli/pma.ts');
  expect(loaded).toEqual(expect.arrayContaining(['xstate', 'rxjs', 'ws', 'big.js', 'pino']));
  expect(loaded).not.toContain('@polymarket/clob-client-v2');
  expect(loaded).not.toContain('viem');
  expect(loaded).not.toContain('@anthropic-ai/sdk');
}, 30_000);
