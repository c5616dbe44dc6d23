#!/usr/bin/env node
// Container health check: node deploy/healthcheck.js URL. Exit 0 when the service answers 200 (every
// part ok), 1 otherwise (degraded, failed or unreachable), printing what /healthz named.
// Plain JavaScript: it runs every 30 s and must not pay for a TypeScript start.
const url = process.argv[2] || 'http://127.0.0.1:9464/healthz';

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then(async (res) => {
    const text = await res.text();
    let summary = text.trim();
    try {
      const report = JSON.parse(text);
      const problems = report.problems || [];
      summary = problems.length === 0 ? report.status : `${report.status}: ` + problems.map((p) => `${p} (${(report.checks[p] && report.checks[p].detail) || report.checks[p].status})`).join('; ');
    } catch {
      // not JSON: print it as it came
    }
    process.stdout.write(`${res.status} ${summary}\n`);
    process.exit(res.status === 200 ? 0 : 1);
  })
  .catch((err) => {
    process.stdout.write(`unreachable: ${url}: ${err.cause ? err.cause.code || err.cause.message : err.message}\n`);
    process.exit(1);
  });
