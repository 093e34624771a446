#!/usr/bin/env node
'use strict';
// The CLI is bundled by `npm run build` (run by npm ci / npm install through "prepare").
const { main } = require('../dist/cli.js');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
