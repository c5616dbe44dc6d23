#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so a fresh clone needs no build step. Calls run() itself, so `pma`
// works however it is reached: npx, npm link / install -g (a symlink named pma), or node bin/pma.js.
require('tsx/cjs');
require('../cli/pma.ts').run();
