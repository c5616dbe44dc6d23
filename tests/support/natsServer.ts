import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's nats-server (`.ci/run` installs the package). Tests that need it are skipped, saying so, when it is absent. */
export const NATS_SERVER = '/usr/sbin/nats-server';
export const hasNatsServer = existsSync(NATS_SERVER);
export const NATS_MISSING = `SKIPPED: ${NATS_SERVER} is not installed (apt-get install nats-server); these tests need a real JetStream server`;

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** A real `nats-server -js` on a free loopback port with its store in a fresh folder; resolves once it accepts clients. */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'pma-nats-'));
  const child: ChildProcess = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((done, fail) => {
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) done();
    });
    child.once('exit', (code) => fail(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => {
          rmSync(store, { recursive: true, force: true });
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}
