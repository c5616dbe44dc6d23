#!/usr/bin/env node
// The operator's command inside the container (or next to `pma start`), with the token from the environment:
//   docker compose exec bot node deploy/control.js kill|resume|portfolio [http://127.0.0.1:PORT | /path/to.sock]
// It talks to the control listener (http://127.0.0.1:9465 unless given, or a Unix socket path), which is
// never published and refuses any request without PMA_CONTROL_TOKEN. Exit 0 on 200, 1 otherwise, 2 on bad use.
const { request } = require('node:http');

const routes = { kill: ['POST', '/control/kill'], resume: ['POST', '/control/resume'], portfolio: ['GET', '/debug/portfolio'] };
const route = routes[process.argv[2]];
const token = process.env.PMA_CONTROL_TOKEN;
if (!route || !token) {
  process.stderr.write(`usage: node deploy/control.js ${Object.keys(routes).join('|')} [http://127.0.0.1:PORT | /path/to.sock] (PMA_CONTROL_TOKEN must be set)\n`);
  process.exit(2);
}
const [method, path] = route;
const target = process.argv[3] || 'http://127.0.0.1:9465';
const where = target.startsWith('/') ? { socketPath: target } : { host: new URL(target).hostname, port: Number(new URL(target).port) };
const req = request({ ...where, path, method, timeout: 5000, headers: { authorization: `Bearer ${token}` } }, (res) => {
  let body = '';
  res.setEncoding('utf8').on('data', (s) => (body += s));
  res.on('end', () => {
    process.stdout.write(body);
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
});
req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
req.on('error', (err) => {
  process.stderr.write(`control listener unreachable: ${err.code || err.message}\n`);
  process.exit(1);
});
req.end();
