/**
 * How every worker thread of src/accel starts: from the source text of a function
 * (Function.prototype.toString), evaluated by worker_threads. The text is the code as the running
 * build has it, so a worker always runs the same code as this thread (typed and tested like the
 * rest), whether it runs under tsx, from the esbuild bundle or from the minified one.
 *
 * `main` and each helper must be self-contained: no imports, no names from outside their bodies but
 * globals (require, Atomics, WebAssembly), since a bundler renames module-level names. A helper
 * reaches `main` as a parameter, whose name minification keeps consistent. tsx compiles with
 * esbuild's keepNames, which wraps inner functions in calls to a module-level __name: the prelude
 * defines it. (Bundling with keepNames and minify at once would rename that helper: esbuild.mjs
 * sets neither keepNames nor a target that needs lowering helpers.)
 */
import { Worker } from 'node:worker_threads';

/** A worker's code: `main(workerData, ...helpers)`. */
export function functionSource<D, H extends unknown[]>(
  main: (data: D, ...helpers: H) => void,
  ...helpers: { [K in keyof H]: H[K] & ((...args: never[]) => unknown) }
): string {
  const args = ['workerData', ...helpers.map((h) => `(${h.toString()})`)].join(',\n');
  return `const __name = (f) => f;\nconst { workerData } = require('node:worker_threads');\n(${main.toString()})(\n${args});\n`;
}

/** Starts a worker on `source` (see functionSource), unref'd: a worker never keeps the process alive. */
export function startWorker(source: string, workerData: unknown): Worker {
  const worker = new Worker(source, { eval: true, workerData });
  worker.unref();
  return worker;
}
