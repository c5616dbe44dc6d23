// Preloaded into a child process (NODE_OPTIONS=--require=...): writes its peak resident set size (kB,
// process.resourceUsage().maxRSS) to the file named by PMA_MAXRSS_FILE when it exits.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  if (process.env.PMA_MAXRSS_FILE) writeFileSync(process.env.PMA_MAXRSS_FILE, String(process.resourceUsage().maxRSS));
});
