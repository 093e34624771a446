// One build script for every entry point. tfjs stays external: its wasm backend finds its .wasm
// files next to its own entry in node_modules, and tfjs-node is a native optional dependency.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints: {
    extension: 'src/extension.ts',
    cli: 'src/cli/main.ts',
    trainerProcess: 'src/extension/trainerProcess.ts',
    inferenceProcess: 'src/extension/inferenceProcess.ts',
  },
  bundle: true,
  outdir: 'dist',
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node'],
  logLevel: 'warning',
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
