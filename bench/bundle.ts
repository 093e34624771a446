/**
 * Benchmarks run the Charm side bundled, as the CLI and the extension ship it: under tsx every call
 * across modules goes through a getter, which made single-character sampling look 50 % slower.
 */
import { buildSync } from 'esbuild';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

/** Bundles `entry` (relative to the repository) into dist/bench/<name>.js; returns that path. */
export function bundleForNode(entry: string, name: string): string {
  const outfile = path.join(root, 'dist', 'bench', `${name}.js`);
  buildSync({
    entryPoints: [path.join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@tensorflow/*'],
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}
