/**
 * Readers for the deployment test: a Dockerfile parser, a .dockerignore matcher, and the runtime
 * import graph of the code an image runs (what the files import, followed from the entry points).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === null && (line === '' || line.startsWith('#'))) return;
    const piece = line.endsWith('\\') ? line.slice(0, -1) : line;
    pending = pending === null ? { text: piece, line: i + 1 } : { text: `${pending.text} ${piece}`, line: pending.line };
    if (line.endsWith('\\')) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
    out.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: pending.line });
    pending = null;
  });
  return out;
}

/** `--name=value` flags before the rest of an instruction's arguments. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([\w-]+)=(\S+)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S+)\s*/.exec(rest)) {
    flags[m[1]] = m[2];
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** An exec-form command (`["node", "x.js"]`), or null for shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
}

/** The value after `--name` in an argument list, or undefined. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function globRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('')
    .map((c, i, all) => (c === '*' ? (all[i + 1] === '*' ? '' : all[i - 1] === '*' ? '.*' : '[^/]*') : c === '?' ? '[^/]' : /[\\^$.|+(){}[\]]/.test(c) ? `\\${c}` : c))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Whether a context-relative path is excluded by .dockerignore (a pattern excludes a path and everything under it). */
export function dockerIgnored(patterns: readonly string[], path: string): boolean {
  let ignored = false;
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const re = globRegex(negate ? raw.slice(1) : raw);
    if (prefixes.some((p) => re.test(p))) ignored = !negate;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const IMPORT_PATTERNS = [
  /^\s*import\s+(?!type\b)[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /^\s*export\s+(?!type\b)[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

const builtins = new Set(builtinModules);

export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveRelative(from: string, spec: string): string | null {
  const base = join(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, `${base}.json`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

export interface RuntimeGraph {
  /** Repo-relative files the entry points load. */
  files: Set<string>;
  /** Package name -> a file that imports it. */
  packages: Map<string, string>;
  /** `file: spec` of relative imports that resolve to nothing. */
  unresolved: string[];
}

/** Follows the value imports (not `import type`) of the entry points through the repo. */
export function runtimeGraph(root: string, entries: readonly string[]): RuntimeGraph {
  const graph: RuntimeGraph = { files: new Set(), packages: new Map(), unresolved: [] };
  const queue = entries.map((e) => join(root, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = relative(root, file);
    if (graph.files.has(rel)) continue;
    graph.files.add(rel);
    if (!/\.(ts|js)$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const pattern of IMPORT_PATTERNS) {
      for (const m of text.matchAll(pattern)) {
        const spec = m[1];
        if (spec.startsWith('.')) {
          const target = resolveRelative(file, spec);
          if (target) queue.push(target);
          else graph.unresolved.push(`${rel}: ${spec}`);
        } else if (!spec.startsWith('node:') && !builtins.has(packageName(spec))) {
          if (!graph.packages.has(packageName(spec))) graph.packages.set(packageName(spec), rel);
        }
      }
    }
  }
  return graph;
}
