/**
 * `npm run bench:keystrokes`: how many keystrokes Charm's ghost text saves a simulated user, beside
 * word completion and a cache 8-gram (issue #9). The work is in bench/keystrokes/ (main.ts; flags
 * in options.ts, `-- --help`). This entry builds the CLI (the benchmark trains with bin/charm.js)
 * and bundles the benchmark with esbuild, as the extension and the CLI are bundled: under tsx
 * every call across modules goes through a getter, which made the per-keystroke figures slower
 * than what users get.
 */
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

const cli = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
if (cli.status !== 0) process.exit(cli.status ?? 1);
const outfile = path.join(root, 'dist', 'bench', 'keystrokes.js');
buildSync({
  entryPoints: [path.join(root, 'bench', 'keystrokes', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@tensorflow/*'],
  sourcemap: true,
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
