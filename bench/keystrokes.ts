/**
 * `npm run bench:keystrokes`: how many keystrokes Charm's ghost text saves a simulated user, beside
 * word completion and a cache 8-gram (issue #9). The work is in bench/keystrokes/ (main.ts; flags
 * in options.ts, `-- --help`). This entry builds the CLI (the benchmark trains with bin/charm.js)
 * and bundles the benchmark with esbuild, as the extension and the CLI are bundled: under tsx
 * every call across modules goes through a getter, which made the per-keystroke figures slower
 * than what users get.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { bundleForNode } from './bundle';

const root = path.resolve(__dirname, '..');

const cli = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
if (cli.status !== 0) process.exit(cli.status ?? 1);
const outfile = bundleForNode('bench/keystrokes/main.ts', 'keystrokes');
const run = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
