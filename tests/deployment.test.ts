import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultConfig, loadConfig } from '../actors/config/load';
import { Health } from '../actors/observability/health';
import { ServiceMetrics } from '../actors/observability/metrics';
import { HEALTH_PATH, METRICS_PATH, startObservabilityServer } from '../actors/observability/server';
import { startControlServer } from '../actors/service/controlServer';
import { dockerIgnored, dockerignorePatterns, execForm, optionValue, packageName, parseDockerfile, runtimeGraph, splitFlags, type Instruction } from './deployment.support';

/**
 * docker-compose.yml and the Dockerfile name commands, ports and paths: each must exist in the
 * project and agree with the config. There is no Docker engine here, so nothing is built or run
 * in a container; what can run (the CLI, the health-check script) runs for real.
 */

const ROOT = resolve(__dirname, '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

const docker = parseDockerfile(read('Dockerfile'));
const ops = (op: string): Instruction[] => docker.filter((i) => i.op === op);
const last = (op: string): Instruction => {
  const all = ops(op);
  if (all.length === 0) throw new Error(`Dockerfile has no ${op}`);
  return all[all.length - 1];
};
const ignore = dockerignorePatterns(read('.dockerignore'));
const workdir = last('WORKDIR').args;
const cmd = execForm(last('CMD').args)!;
const healthcheck = (() => {
  const { flags, rest } = splitFlags(last('HEALTHCHECK').args);
  expect(rest.startsWith('CMD ')).toBe(true);
  return { flags, argv: execForm(rest.slice(4).trim())! };
})();

/** COPY sources (context-relative) and their destinations in the image. */
const copies = ops('COPY').map((i) => {
  const parts = splitFlags(i.args).rest.split(/\s+/);
  const dest = parts[parts.length - 1];
  return { sources: parts.slice(0, -1), dest: posix.resolve(workdir, dest), dir: dest.endsWith('/') || parts.length > 2 };
});
const imageFile = (repoPath: string): string | null => {
  for (const c of copies) {
    for (const s of c.sources) {
      if (repoPath === s) return c.dir ? posix.join(c.dest, posix.basename(s)) : c.dest;
      if (repoPath.startsWith(`${s}/`)) return posix.join(c.dest, repoPath.slice(s.length + 1));
    }
  }
  return null;
};

interface ComposeService {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  container_name?: string;
  depends_on?: Record<string, unknown> | string[];
  read_only?: boolean;
  tmpfs?: string[];
  command?: string[];
  env_file?: (string | { path: string; required?: boolean })[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
}
const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
const bot = compose.services.bot;
const botArgv = bot.command ?? cmd;
const deployConfigHost = (() => {
  const mount = (bot.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === optionValue(botArgv, '--config'));
  return mount ? join(ROOT, mount[0]) : null;
})();

/** The port the service listens on in the container: `--metrics-port`, else the config's. */
const servicePort = Number(optionValue(botArgv, '--metrics-port') ?? loadConfig(deployConfigHost ?? undefined, {}).service.metricsPort);

const durationMs = (s: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

describe('Dockerfile', () => {
  it('builds on Node 20 slim, installs production dependencies only, and runs as a user that is not root', () => {
    expect(ops('FROM')[0].args).toBe('node:20-slim');
    expect(ops('RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args))).toBe(true);
    const user = last('USER').args.split(':')[0];
    expect(['root', '0', '']).not.toContain(user);
    // The USER comes after every RUN: nothing the service runs is run as root.
    const userLine = last('USER').line;
    expect(ops('RUN').every((r) => r.line < userLine)).toBe(true);
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    for (const c of copies) {
      for (const s of c.sources) {
        expect({ source: s, exists: existsSync(join(ROOT, s)) }).toEqual({ source: s, exists: true });
        expect({ source: s, ignored: dockerIgnored(ignore, s) }).toEqual({ source: s, ignored: false });
      }
    }
  });

  it('holds every file the service and its health check load, and every package they import is a production dependency', () => {
    const entry = cmd.slice(1, 2).concat(healthcheck.argv.slice(1, 2));
    expect(cmd[0]).toBe('node');
    expect(healthcheck.argv[0]).toBe('node');
    const graph = runtimeGraph(ROOT, entry);
    expect(graph.unresolved).toEqual([]);
    const missing = [...graph.files].filter((f) => imageFile(f) === null || dockerIgnored(ignore, f));
    expect(missing).toEqual([]);
    expect(graph.files.has('cli/pma.ts')).toBe(true);

    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    // pino-pretty is loaded inside try/catch by actors/observability/logger.ts: absent in the image, logs stay JSON.
    const optional = new Set(['pino-pretty']);
    const notInstalled = [...graph.packages]
      .filter(([name]) => !optional.has(name))
      .filter(([name]) => {
        const entryOf = lock.packages[`node_modules/${name}`];
        return entryOf === undefined || entryOf.dev === true;
      })
      .map(([name, from]) => `${name} (imported by ${from})`);
    expect(notInstalled).toEqual([]);
    expect(Object.keys(pkg.dependencies)).toContain(packageName('tsx'));
  });

  it('CMD runs a pma subcommand that exists and takes every option given', () => {
    expect(cmd[1]).toBe('bin/pma.js');
    expect(imageFile('bin/pma.js')).toBe(posix.join(workdir, 'bin/pma.js'));
    const help = spawnSync(process.execPath, [cmd[1], cmd[2], '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    const options = cmd.slice(3).filter((a) => a.startsWith('--'));
    for (const option of options) expect(help.stdout).toContain(option);
  });

  it('the config file CMD names is in the image, and it is a valid config', () => {
    const configPath = optionValue(cmd, '--config')!;
    const copied = copies.find((c) => c.dest === configPath);
    expect(copied).toBeDefined();
    expect(() => loadConfig(join(ROOT, copied!.sources[0]), {})).not.toThrow();
  });

  it('the event log goes to a volume the service user owns', () => {
    const logDir = posix.dirname(optionValue(cmd, '--log')!);
    const volumes = ops('VOLUME').flatMap((v) => execForm(v.args) ?? v.args.split(/\s+/));
    expect(volumes).toContain(logDir);
    const user = last('USER').args.split(':')[0];
    expect(ops('RUN').some((r) => new RegExp(`chown\\s+${user}(:\\S+)?\\s+(\\S+\\s+)*${logDir}(\\s|$)`).test(r.args))).toBe(true);
  });

  it('exposes the metrics port the service listens on, the config default', () => {
    expect(servicePort).toBe(defaultConfig().service.metricsPort);
    expect(ops('EXPOSE').flatMap((e) => e.args.split(/\s+/)).map((p) => Number(p.split('/')[0]))).toContain(servicePort);
  });

  it('HEALTHCHECK hits the real /healthz on the service port, with a script that is in the image', () => {
    const url = new URL(healthcheck.argv[2]);
    expect(url.pathname).toBe(HEALTH_PATH);
    expect(Number(url.port)).toBe(servicePort);
    expect(url.hostname).toBe('127.0.0.1');
    expect(imageFile(healthcheck.argv[1])).toBe(posix.join(workdir, healthcheck.argv[1]));
    expect(durationMs(healthcheck.flags.timeout)).toBeLessThan(durationMs(healthcheck.flags.interval));
  });
});

describe('the health-check script against the real server', () => {
  const run = (url: string): Promise<{ code: number | null; out: string }> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [healthcheck.argv[1], url], { cwd: ROOT });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => done({ code, out }));
    });

  it('exits 0 while healthy, 1 naming the part when degraded, 1 when nothing answers', async () => {
    const health = new Health();
    let feed: 'ok' | 'degraded' = 'ok';
    health.register('feed:binance', () => ({ status: feed, detail: feed === 'ok' ? 'connected' : 'disconnected for 4 s: HTTP 451' }));
    const server = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry: new ServiceMetrics({ processMetrics: false }).registry, health });
    const url = new URL(healthcheck.argv[2]);
    url.port = String(server.port);
    try {
      expect(await run(url.href)).toEqual({ code: 0, out: '200 ok\n' });
      feed = 'degraded';
      expect(await run(url.href)).toEqual({ code: 1, out: '503 degraded: feed:binance (disconnected for 4 s: HTTP 451)\n' });
    } finally {
      await server.close();
    }
    const gone = await run(url.href);
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(/^unreachable: .*ECONNREFUSED/);
  });
});

describe('the control script against the real control listener', () => {
  const TOKEN = 'deployment-test-token-9a4c1e7b';
  const run = (args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> =>
    new Promise((done) => {
      const child = spawn(process.execPath, ['deploy/control.js', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => done({ code, out }));
    });

  it('sends the token from the environment; refused without it; 2 on bad use', async () => {
    const commands: string[] = [];
    const server = await startControlServer({
      host: '127.0.0.1',
      port: 0,
      socket: null,
      token: TOKEN,
      routes: async (req, res, path) => {
        commands.push(`${req.method} ${path}`);
        res.end('{"action":"kill"}\n');
        return true;
      },
      onRefused: (r) => commands.push(`refused ${r.path}: ${r.reason}`),
    });
    try {
      expect(await run(['kill', server.url], { PMA_CONTROL_TOKEN: TOKEN })).toEqual({ code: 0, out: '{"action":"kill"}\n' });
      expect((await run(['kill', server.url], { PMA_CONTROL_TOKEN: 'some-other-token-entirely' })).code).toBe(1);
      expect((await run(['kill', server.url], {})).code).toBe(2);
      expect((await run(['launch', server.url], { PMA_CONTROL_TOKEN: TOKEN })).code).toBe(2);
    } finally {
      await server.close();
    }
    expect(commands).toEqual(['POST /control/kill', 'refused /control/kill: wrong token']);
  });

  it('the image carries it, the compose file publishes no control port and the container keeps the control host on loopback', () => {
    expect(imageFile('deploy/control.js')).toBe(posix.join(workdir, 'deploy/control.js'));
    const env = Object.fromEntries(Object.entries(bot.environment ?? {}).map(([k, v]) => [k, String(v)]));
    const config = loadConfig(deployConfigHost ?? undefined, env);
    expect(config.service.controlHost).toBe('127.0.0.1');
    const published = (bot.ports ?? []).map((p) => Number(p.split(':').slice(-1)[0]));
    expect(published).not.toContain(config.service.controlPort);
    expect(published).toEqual([config.service.metricsPort]);
  });
});

describe('docker-compose.yml', () => {
  it('builds the bot from this Dockerfile and restarts it, with time to shut down gracefully', () => {
    const context = typeof bot.build === 'string' ? bot.build : bot.build!.context;
    expect(existsSync(join(ROOT, context, typeof bot.build === 'object' && bot.build.dockerfile ? bot.build.dockerfile : 'Dockerfile'))).toBe(true);
    expect(['always', 'unless-stopped', 'on-failure']).toContain(bot.restart);
    const shutdownMs = loadConfig(deployConfigHost ?? undefined, {}).service.shutdownTimeoutMs;
    expect(durationMs(bot.stop_grace_period!)).toBeGreaterThan(shutdownMs);
  });

  it('npm scripts it or the Dockerfile runs exist', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const commands = [...ops('RUN').map((r) => r.args), ...Object.values(compose.services).map((s) => (s.command ?? []).join(' '))];
    for (const c of commands) {
      for (const m of c.matchAll(/\bnpm (?:run(?:-script)?\s+(\S+)|(start|test|stop|restart)\b)/g)) expect(Object.keys(scripts)).toContain(m[1] ?? m[2]);
    }
  });

  it('env files exist (a secrets file may be absent, but then its example exists and git ignores it)', () => {
    const gitignore = read('.gitignore').split('\n');
    for (const entry of bot.env_file ?? []) {
      const { path, required } = typeof entry === 'string' ? { path: entry, required: true } : entry;
      if (required !== false) expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
      else {
        expect(existsSync(join(ROOT, `${path}.example`))).toBe(true);
        expect(gitignore).toContain(path);
        expect(dockerIgnored(ignore, path)).toBe(true);
      }
    }
  });

  it('every variable its env files and examples set is one the project reads', () => {
    const runtime = runtimeGraph(ROOT, ['bin/pma.js']);
    const source = [...runtime.files].filter((f) => !f.startsWith('actors/observability/')).map((f) => read(f)).join('\n');
    const files = readdirSync(join(ROOT, 'deploy')).filter((f) => /\.env(\.example)?$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const names = [...read(`deploy/${f}`).matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ file: f, name, read: new RegExp(`\\b${name}\\b`).test(source) }).toEqual({ file: f, name, read: true });
    }
  });

  it('binds the metrics server to every interface through the config loader, inside the container only', () => {
    const env = Object.fromEntries(Object.entries(bot.environment ?? {}).map(([k, v]) => [k, String(v)]));
    expect(loadConfig(deployConfigHost ?? undefined, env).service.metricsHost).toBe('0.0.0.0');
    expect(loadConfig(deployConfigHost ?? undefined, {}).service.metricsHost).toBe('127.0.0.1');
    expect(defaultConfig().service.metricsHost).toBe('127.0.0.1');
  });

  it('publishes the service port on the host loopback only, and the health check is the Dockerfile one', () => {
    const ports = (bot.ports ?? []).map((p) => p.split(':'));
    expect(ports).toContainEqual(['127.0.0.1', String(servicePort), String(servicePort)]);
    expect(bot.healthcheck!.test).toEqual(['CMD', ...healthcheck.argv]);
  });

  it('mounts a config that exists and validates where CMD reads it, and keeps the event log on a named volume', () => {
    expect(deployConfigHost).not.toBeNull();
    expect(statSync(deployConfigHost!).isFile()).toBe(true);
    expect(() => loadConfig(deployConfigHost!, {})).not.toThrow();
    const logDir = posix.dirname(optionValue(botArgv, '--log')!);
    const named = (bot.volumes ?? []).map((v) => v.split(':')).filter(([source]) => !source.startsWith('.') && !source.startsWith('/'));
    expect(named.map(([, target]) => target)).toContain(logDir);
    for (const [source] of named) expect(Object.keys(compose.volumes ?? {})).toContain(source);
    for (const [source] of (bot.volumes ?? []).map((v) => v.split(':')).filter(([s]) => s.startsWith('.'))) expect(existsSync(join(ROOT, source))).toBe(true);
  });

  it('Prometheus scrapes the bot by service name on the service port and the real metrics path', () => {
    const prom = compose.services.prometheus;
    const mount = (prom.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/etc/prometheus/prometheus.yml');
    expect(mount).toBeDefined();
    const config = parseYaml(readFileSync(join(ROOT, mount![0]), 'utf8')) as { scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const targets = config.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets.map((t) => ({ target: t, path: s.metrics_path ?? '/metrics' }))));
    expect(targets).toContainEqual({ target: `bot:${servicePort}`, path: METRICS_PATH });
    for (const { target } of targets) expect(Object.keys(compose.services)).toContain(target.split(':')[0]);
    expect(dirname(mount![0])).toBe('./deploy');
  });
  it('Grafana beside Prometheus: provisioned with Prometheus by service name and a dashboard of metrics /metrics really has', async () => {
    const grafana = compose.services.grafana;
    expect(grafana).toBeDefined();
    const mounts = new Map((grafana.volumes ?? []).map((v) => v.split(':')).map(([source, target]) => [target, source]));
    const provisioning = mounts.get('/etc/grafana/provisioning')!;
    const dashboards = mounts.get('/var/lib/grafana/dashboards')!;
    expect(existsSync(join(ROOT, provisioning))).toBe(true);
    const sources = parseYaml(readFileSync(join(ROOT, provisioning, 'datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string; url: string }[] };
    const prometheus = sources.datasources.find((d) => d.type === 'prometheus')!;
    expect(prometheus.url).toBe('http://prometheus:9090');
    expect(Object.keys(compose.services)).toContain('prometheus');
    const providers = parseYaml(readFileSync(join(ROOT, provisioning, 'dashboards/pma.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(providers.providers.map((p) => p.options.path)).toEqual(['/var/lib/grafana/dashboards']);

    const dashboard = JSON.parse(readFileSync(join(ROOT, dashboards, 'pma.json'), 'utf8')) as { panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[] };
    const metrics = new ServiceMetrics({ processMetrics: false });
    metrics.watchTrading(() => ({ equity: 1000, cash: 990, exposure: 10, realised: { flashCrash: 1 }, positions: { flashCrash: 1 }, halts: [] }));
    const exported = new Set([...(await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      expect([panel.title, panel.datasource.uid]).toEqual([panel.title, prometheus.uid]);
      for (const t of panel.targets) for (const [name] of t.expr.matchAll(/pma_[a-z_]+/g)) used.add(name.replace(/_(bucket|sum|count)$/, ''));
    }
    for (const name of ['pma_equity_usdc', 'pma_cash_usdc', 'pma_open_exposure_usdc', 'pma_realised_pnl_usdc', 'pma_positions', 'pma_halted']) expect(used).toContain(name);
    for (const name of used) expect([name, exported.has(name)]).toEqual([name, true]);
    expect(grafana.ports).toEqual(['127.0.0.1:3000:3000']);
  });
});

describe('docker-compose.yml sweep services (docs/sweeps.md)', () => {
  const nats = compose.services.nats;
  const worker = compose.services.worker;

  it('runs nats-server with JetStream on, its store on a named volume, the client port on the host loopback only', () => {
    expect(nats.image).toMatch(/^nats:2\.(9|1\d)/);
    const argv = nats.command ?? [];
    expect(argv).toContain('-js');
    const store = optionValue(argv, '-sd');
    expect(store).toBeDefined();
    const mount = (nats.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === store);
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(mount![0]);
    expect(nats.ports).toEqual(['127.0.0.1:4222:4222']);
  });

  it('runs `pma worker` from the bot image against the nats service, with options the command takes', () => {
    expect(worker.image).toBe(bot.image);
    expect(worker.build).toEqual(bot.build);
    const argv = worker.command!;
    expect(argv.slice(0, 3)).toEqual(['node', 'bin/pma.js', 'worker']);
    const url = new URL(optionValue(argv, '--nats')!);
    expect(url.hostname).toBe('nats');
    expect(url.port).toBe(nats.ports![0].split(':')[2]);
    expect(Object.keys(worker.depends_on ?? {})).toContain('nats');
    const help = spawnSync(process.execPath, [argv[1], 'worker', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    for (const option of argv.slice(3).filter((a) => a.startsWith('--'))) expect(help.stdout).toContain(option);
  });

  it('the worker scales: no fixed container name, no host port; its writable paths are tmpfs on a read-only root', () => {
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.read_only).toBe(true);
    const cache = optionValue(worker.command!, '--cache')!;
    expect(worker.tmpfs ?? []).toContain('/tmp');
    expect(cache.startsWith('/tmp/')).toBe(true);
  });
});
