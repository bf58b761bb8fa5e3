#!/usr/bin/env node
// The `mdmctl` command: runs the compiled CLI from the repository's build output (`npm run build` writes
// dist/apps/mdmctl/src/main.js). A shim, because npm links bins only from inside the package directory.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

const main = path.resolve(__dirname, '../../../dist/apps/mdmctl/src/main.js');
if (!existsSync(main)) {
  process.stderr.write(`mdmctl: ${path.relative(process.cwd(), main)} is missing; run \`npm run build\` in the repository first\n`);
  process.exit(2);
}
require(main);
