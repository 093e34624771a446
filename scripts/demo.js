#!/usr/bin/env node
// The README's first command: train the tiny preset for about a minute on this repository's own
// sources, then print samples at three temperatures. No data to download.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const charm = path.join(root, 'bin', 'charm.js');
const out = path.join(root, '.cache', 'demo-model');
const seconds = process.env.CHARM_DEMO_SECONDS || '60';

function run(args) {
  const r = spawnSync(process.execPath, [charm, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(['train', 'src', '--preset', 'tiny', '--max-seconds', seconds, '--out', out, '--overwrite']);
for (const temperature of ['0.2', '0.5', '1.0']) {
  process.stdout.write(`\n--- temperature ${temperature} ---\n`);
  run(['sample', '--model', out, '--prime', 'export function ', '--length', '300', '--temperature', temperature, '--seed', '1']);
  process.stdout.write('\n');
}
