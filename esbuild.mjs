// One build script for every entry point: the Node bundles (extension, CLI, child processes) and
// the model view's browser script. tfjs stays external: its wasm backend finds its .wasm files next
// to its own entry in node_modules, and tfjs-node is a native optional dependency.
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
    importProcess: 'src/extension/importProcess.ts',
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

/**
 * The model view's script, run in the webview (a browser): one IIFE in its own folder, the only
 * folder of dist/ the webview may load from (see host/modelView.ts).
 * @type {import('esbuild').BuildOptions}
 */
const webview = {
  entryPoints: { modelView: 'src/extension/modelView/webview.ts' },
  bundle: true,
  outdir: 'dist/webview',
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

if (watch) {
  for (const build of [options, webview]) await (await esbuild.context(build)).watch();
} else {
  await Promise.all([esbuild.build(options), esbuild.build(webview)]);
}
