#!/usr/bin/env node
// Runs the compiled CLI when the package has been built, and the TypeScript source otherwise,
// so `npx embedded-mongo` works straight after `npm install`.
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'dist', 'cli.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'cli.ts'));
}
