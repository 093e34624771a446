/**
 * Sets up tfjs's 'wasm' backend: the threaded-SIMD build when more than one thread is wanted
 * (falling back to the stock single-thread SIMD build if it fails), plus the kernel fixes.
 */
import * as tf from '@tensorflow/tfjs';
import { createThreadedWasmBackend, MAX_WASM_THREADS } from './threadedBuild';
import { registerWasmKernelFixes } from '../tfjsKernels/wasmFixes';

export interface WasmInfo {
  threads: number;
  simd: boolean;
  build: 'threaded-simd' | 'simd' | 'plain';
  detail: string;
}

/** tfjs-backend-wasm registers itself with this priority. */
const WASM_PRIORITY = 2;

let stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;
let loaded: WasmInfo | undefined;

function loadPackage(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the wasm backend is chosen
  const tfwasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  stockFactory ??= tf.findBackendFactory('wasm') ?? undefined;
  if (stockFactory == null) throw new Error('tfjs-backend-wasm did not register the wasm backend');
  return tfwasm.version_wasm;
}

function restoreStockFactory(): void {
  if (stockFactory == null) return;
  if (tf.findBackendFactory('wasm') === stockFactory) return;
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend('wasm', stockFactory, WASM_PRIORITY);
}

/**
 * The emscripten glue of both builds, under Node, adds process listeners that rethrow every
 * uncaught exception and unhandled rejection (there to handle its exit()), which breaks anyone
 * else's 'uncaughtException' handling and turns crash exit codes into 7. tfjs only removes them
 * on backend dispose. We remove them right after loading; the wasm code never calls exit().
 */
async function withoutEmscriptenProcessListeners<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    const patterns: Array<['uncaughtException' | 'unhandledRejection', RegExp]> = [
      ['uncaughtException', /ExitStatus/],
      ['unhandledRejection', /throw\s+reason/],
    ];
    for (const [event, pattern] of patterns) {
      const emitter = process as unknown as NodeJS.EventEmitter;
      for (const listener of emitter.listeners(event)) {
        if (pattern.test(String(listener))) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === 'object' && e != null && 'message' in e ? String(e.message) : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/**
 * Makes 'wasm' the active tfjs backend. `threads` > 1 asks for the threaded-SIMD build with that
 * many threads (capped at 8); 1 gives the stock single-thread build. `forceThreadedBuild` loads
 * the threaded binary even for one thread (benchmarks). The first successful call fixes the build
 * and thread count for the life of the process; later calls just re-activate it.
 */
export async function initWasm(threads: number, opts: { forceThreadedBuild?: boolean } = {}): Promise<WasmInfo> {
  const version = loadPackage();
  registerWasmKernelFixes();
  if (loaded != null) {
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to re-activate');
    return loaded;
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  if (tf.engine().registry.wasm != null) {
    // Someone ran tf.setBackend('wasm') before us: replacing that backend would dispose its
    // tensors, so keep it (whatever build tfjs chose: single-thread under Node).
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to re-activate');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as in loadPackage()
    const tfwasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const n = Math.max(1, tfwasm.getThreadsCount());
    loaded = {
      threads: n,
      simd,
      build: n > 1 ? 'threaded-simd' : simd ? 'simd' : 'plain',
      detail: `tfjs-backend-wasm ${version}, already initialised outside initBackend (${n} thread(s))`,
    };
    return loaded;
  }
  let fallbackReason = '';
  const wanted = Math.min(threads, MAX_WASM_THREADS);
  if ((wanted > 1 || opts.forceThreadedBuild) && simd) {
    try {
      const { backend, threads: actual } = await withoutEmscriptenProcessListeners(() => createThreadedWasmBackend(wanted));
      if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
      tf.registerBackend('wasm', () => backend, WASM_PRIORITY);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend rejected the threaded wasm backend');
      const capped = threads > MAX_WASM_THREADS ? ` (capped from ${threads})` : '';
      loaded = {
        threads: actual,
        simd: true,
        build: 'threaded-simd',
        detail: `tfjs-backend-wasm ${version}, threaded-SIMD build, ${actual} thread(s)${capped}`,
      };
      return loaded;
    } catch (e) {
      fallbackReason = `; threaded build unavailable: ${firstLine(e)}`;
      restoreStockFactory();
    }
  } else if (wanted > 1) {
    fallbackReason = '; threaded build needs SIMD, which this runtime lacks';
  }
  if (!(await withoutEmscriptenProcessListeners(() => tf.setBackend('wasm')))) {
    throw new Error('the stock wasm backend failed to initialise');
  }
  loaded = {
    threads: 1,
    simd,
    build: simd ? 'simd' : 'plain',
    detail: `tfjs-backend-wasm ${version}, ${simd ? 'SIMD' : 'plain'} single-thread build${fallbackReason}`,
  };
  return loaded;
}
