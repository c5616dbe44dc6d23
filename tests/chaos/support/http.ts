import { request } from 'node:http';

/**
 * One HTTP request over loopback with node:http (jest's global fetch loads slowly in a test VM).
 * `url` may be `unix:/path/to.sock/route` for a Unix socket.
 */
export function httpRequest(url: string, method = 'GET', timeoutMs = 5000, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const unix = /^unix:(.+\.sock)(\/.*)$/.exec(url);
    const target = unix ? { socketPath: unix[1], path: unix[2] } : new URL(url);
    const req = request({ ...(unix ? target : { host: (target as URL).hostname, port: (target as URL).port, path: (target as URL).pathname + (target as URL).search }), method, agent: false, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
