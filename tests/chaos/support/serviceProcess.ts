import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { SystemClock } from '../../../events/clock';
import { httpRequest } from './http';

/** The operator token every child gets unless the test gives its own (`PMA_CONTROL_TOKEN`). */
export const TEST_CONTROL_TOKEN = 'test-control-token-6f1c9a2e84b7';

const ROOT = resolve(__dirname, '../../..');
const wall = new SystemClock();

export interface ServiceProcessOptions {
  /** Arguments after `pma`, e.g. `['start', '--config', file, '--log', log, '--metrics-port', '0']`. */
  args: string[];
  /** The child's whole environment (endpoints, fake secrets); PATH and HOME are added. */
  env: Record<string, string>;
  /** RLIMIT_FSIZE for the child in bytes (a multiple of 512, dash's `ulimit -f` unit): no file it writes grows past it (EFBIG), a disk that fills up. */
  fileSizeLimitBytes?: number;
  /** A TypeScript entry point to run instead of `pma` (through bin/run-ts.js), with `args` after it. */
  script?: string;
}

/**
 * `pma` as a child process (bin/pma.js under tsx), its stdout (pino JSON lines) and stderr kept,
 * for crash, disk and secret tests that need a real process to kill.
 */
export class ServiceProcess {
  stdout = '';
  stderr = '';
  /** `http://127.0.0.1:port` once the service logged `service started`. */
  url: string | null = null;
  /** The operator listener (`/control/*`, `/debug/*`), from the same log line. */
  controlUrl: string | null = null;
  private readonly token: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private watchers: ((line: Record<string, unknown>) => boolean)[] = [];
  private partial = '';

  constructor(o: ServiceProcessOptions) {
    // Children share the machine: the operator listener on a free port unless the test picks one.
    const pmaArgs = o.script === undefined && o.args[0] === 'start' && !o.args.includes('--control-port') ? [...o.args, '--control-port', '0'] : o.args;
    const argv = o.script === undefined ? [resolve(ROOT, 'bin/pma.js'), ...pmaArgs] : [resolve(ROOT, 'bin/run-ts.js'), resolve(ROOT, o.script), ...o.args];
    const env = { PMA_CONTROL_TOKEN: TEST_CONTROL_TOKEN, ...o.env };
    this.token = env.PMA_CONTROL_TOKEN;
    const [cmd, args] = o.fileSizeLimitBytes === undefined ? [process.execPath, argv] : ['/bin/sh', ['-c', `ulimit -f ${Math.ceil(o.fileSizeLimitBytes / 512)} && exec "$0" "$@"`, process.execPath, ...argv]];
    this.child = spawn(cmd, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.scan(s);
      if (this.url === null) {
        this.controlUrl = /"control":"([^"]+)"/.exec(this.stdout)?.[1] ?? null;
        this.url = /"metrics":"(http:\/\/[^"]+)\/metrics"/.exec(this.stdout)?.[1] ?? null;
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((done) => this.child.on('exit', (code, signal) => done({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the endpoint URL once `service started` is logged; rejects if the child exits first. */
  async started(timeoutMs = 30_000): Promise<string> {
    const until = wall.now() + timeoutMs;
    while (this.url === null) {
      if (!this.running) throw new Error(`pma exited before starting:\n${this.stderr}\n${this.stdout.slice(-2000)}`);
      if (wall.now() > until) throw new Error(`pma did not start within ${timeoutMs} ms:\n${this.stderr}\n${this.stdout.slice(-2000)}`);
      await wall.sleep(10);
    }
    return this.url;
  }

  /** Resolves once the child's output holds `text`; rejects if it exits first. */
  async logged(text: string, timeoutMs = 30_000): Promise<void> {
    const until = wall.now() + timeoutMs;
    while (!this.stdout.includes(text)) {
      if (!this.running) throw new Error(`pma exited before logging "${text}":\n${this.stderr}\n${this.stdout.slice(-2000)}`);
      if (wall.now() > until) throw new Error(`pma did not log "${text}" within ${timeoutMs} ms:\n${this.stderr}\n${this.stdout.slice(-2000)}`);
      await wall.sleep(5);
    }
  }

  /**
   * Sends `signal` from within the output handler, as soon as a JSON log line satisfies `when`, so
   * the kill lands at a point of the child's own progress, not after a wall-clock guess. Resolves
   * with that line; rejects if the child exits first.
   */
  killWhen(when: (line: Record<string, unknown>) => boolean, signal: NodeJS.Signals): Promise<Record<string, unknown>> {
    return new Promise((done, fail) => {
      const watch = (line: Record<string, unknown>): boolean => {
        if (!when(line)) return false;
        this.child.kill(signal);
        done(line);
        return true;
      };
      this.watchers.push(watch);
      void this.exited.then(() => fail(new Error(`pma exited before the awaited log line:\n${this.stderr}\n${this.stdout.slice(-2000)}`)));
    });
  }

  private scan(chunk: string): void {
    if (this.watchers.length === 0) {
      this.partial = '';
      return;
    }
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      const line = JSON.parse(l) as Record<string, unknown>;
      this.watchers = this.watchers.filter((w) => !w(line));
    }
  }

  get(path: string): Promise<{ status: number; body: string }> {
    return httpRequest(`${this.url}${path}`);
  }

  post(path: string): Promise<{ status: number; body: string }> {
    return httpRequest(`${this.url}${path}`, 'POST');
  }

  /** A request to the operator listener with the child's token (`token: null` sends none). */
  control(path: string, method = 'GET', token: string | null = this.token): Promise<{ status: number; body: string }> {
    return httpRequest(`${this.controlUrl}${path}`, method, 5000, token === null ? {} : { authorization: `Bearer ${token}` });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The JSON log lines the child wrote to stdout. */
  logLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** Seconds of wall time, for pacing children and servers. */
export const wallClock = wall;
