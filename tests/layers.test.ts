import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';

/** The layer rule of docs/architecture.md, read off the source: imports flow one way, the pure layers do no I/O and read no wall time. */
const ROOT = resolve(__dirname, '..');

/** What each pure layer may import of the project. */
const ALLOWED: Record<string, readonly string[]> = {
  events: ['events'],
  domain: ['domain', 'events'],
  machines: ['machines', 'domain', 'events'],
  streams: ['streams', 'domain', 'events'],
};
/** The packages a pure layer may use (events/ also reads and writes files: the log). */
const PURE_PACKAGES = ['big.js', 'xstate', 'rxjs'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

/** The top folder a relative import of `file` lands in. */
function layerOf(file: string, spec: string): string {
  return relative(ROOT, resolve(dirname(file), spec)).split(/[\\/]/)[0];
}

describe('layers', () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer}/ imports only ${allowed.join(', ')} of the project${layer === 'events' ? '' : ', and no I/O'}`, () => {
      const wrong: string[] = [];
      for (const file of tsFiles(join(ROOT, layer))) {
        const at = posix.normalize(relative(ROOT, file));
        for (const spec of specifiers(readFileSync(file, 'utf8'))) {
          if (spec.startsWith('.')) {
            if (!allowed.includes(layerOf(file, spec))) wrong.push(`${at} imports ${spec}`);
          } else if (layer !== 'events' && !PURE_PACKAGES.includes(spec)) {
            wrong.push(`${at} imports the package ${spec}`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('only events/clock.ts reads wall time or sets timers; nothing pure draws random numbers', () => {
    const wrong: string[] = [];
    for (const layer of Object.keys(ALLOWED)) {
      for (const file of tsFiles(join(ROOT, layer))) {
        const at = posix.normalize(relative(ROOT, file));
        if (at === 'events/clock.ts') continue;
        const source = readFileSync(file, 'utf8');
        for (const m of source.matchAll(/\b(Date\.now|new Date\(\)|performance\.now|Math\.random|setTimeout|setInterval|setImmediate)\b/g)) wrong.push(`${at}: ${m[1]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('finds an upward import where there is one (the check reads real imports)', () => {
    expect(specifiers(`import { a } from '../actors/x';\nimport type { B } from "./y";\nconst z = require('../cli/z');`)).toEqual(['../actors/x', './y', '../cli/z']);
    expect(layerOf(join(ROOT, 'machines', 'm.ts'), '../actors/x')).toBe('actors');
    expect(layerOf(join(ROOT, 'domain', 'market', 'm.ts'), '../../events/types')).toBe('events');
  });
});
