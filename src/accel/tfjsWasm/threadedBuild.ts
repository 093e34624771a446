/**
 * Loads the threaded-SIMD build of tfjs-backend-wasm 4.22.0 under Node. Fragile by nature (it
 * relies on the emscripten glue of that exact build), so it is isolated here and every failure
 * rejects cleanly; the caller then falls back to the single-thread SIMD build.
 *
 * What stock tfjs does under Node, and why it cannot work:
 *  - the flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE;
 *  - if forced, tfjs hands emscripten `blob:` URLs for the pthread worker script and for the main
 *    script the workers import; Node's worker_threads cannot load either;
 *  - the C++ side caps the thread pool at emscripten_num_logical_cores() / 2 (1 on a 2-vCPU
 *    machine), and emscripten pre-spawns a fixed pool of 8 workers.
 *
 * What we do instead: call the emscripten factory ourselves (the CommonJS file
 * `wasm-out/tfjs-backend-wasm-threaded-simd.js` shipped in the package) with
 *  - locateFile: the worker script written to a private temp file (mkdtemp; removed as soon as the
 *    workers have loaded it), and the .wasm from the package's dist folder;
 *  - mainScriptUrlOrBlob: the path of that same CommonJS file, which the workers `importScripts`
 *    (in Node: an indirect eval of the file);
 *  - instantiateWasm: instantiates the binary ourselves, reporting 2 * threads logical cores so
 *    the C++ cap lets the pool reach `threads`;
 * then trim the pre-spawned worker pool to what the pool needs (+1 spare), keep every worker
 * unref'ed (emscripten ref()s a worker while its pthread runs, and the XNNPACK pool threads run
 * forever, which would keep Node from exiting), and build the stock `BackendWasm` on the module.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The C++ backend never uses more threads than this (max_num_threads in backend.cc). */
export const MAX_WASM_THREADS = 8;

export interface ThreadedWasm {
  backend: BackendWasm;
  /** Threads in the XNNPACK pool, as reported by the module. */
  threads: number;
}

type WasmModule = ConstructorParameters<typeof BackendWasm>[0];

type PthreadWorker = Worker & { onerror?: (e: unknown) => void };

interface PThreadApi {
  unusedWorkers: PthreadWorker[];
  runningWorkers: PthreadWorker[];
  allocateUnusedWorker(): void;
  terminateAllThreads(): void;
}

interface FactoryConfig {
  locateFile(file: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: WasmImports, receive: (instance: object, module: object) => void): object;
  print(text: string): void;
  printErr(text: string): void;
  onAbort(what: unknown): void;
  /** Set by the emscripten glue while the factory runs. */
  PThread?: PThreadApi;
}

/** The few WebAssembly bits used here (this project's TS lib has no WebAssembly types). */
type WasmImports = Record<string, Record<string, unknown> | undefined>;
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: WasmImports): Promise<{ instance: object; module: object }>;
}
const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

type Factory = (config: FactoryConfig) => Promise<WasmModule>;

const BUILD = 'tfjs-backend-wasm-threaded-simd';

function packagePaths() {
  const entry = require.resolve('@tensorflow/tfjs-backend-wasm');
  const dist = path.dirname(entry);
  const wasmOut = path.join(dist, '..', 'wasm-out');
  return {
    dist,
    mainScript: path.join(wasmOut, `${BUILD}.js`),
    workerModule: path.join(wasmOut, `${BUILD}.worker.js`),
    wasmBinary: path.join(dist, `${BUILD}.wasm`),
  };
}

/** Temp dirs holding a worker script; removed once the pool has loaded, or at exit. */
const scriptDirs = new Set<string>();

function removeDir(dir: string): void {
  scriptDirs.delete(dir);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}

/** Writes the pthread worker script to a private temp dir (mkdtemp, mode 0700). */
function writeWorkerScript(workerModule: string): { file: string; dir: string } {
  const load = createRequire(workerModule);
  const contents = (load(workerModule) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  if (typeof contents !== 'string' || !contents.includes('WasmBackendModuleThreadedSimd')) {
    throw new Error(`unexpected worker script in ${workerModule}`);
  }
  // The package keeps the script in a template literal, so its "\n" escapes became real newlines
  // inside string literals; tfjs re-escapes them the same way before making its Blob.
  const script = contents.replace(/\n/g, '\\n');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-wasm-'));
  if (scriptDirs.size === 0) {
    process.once('exit', () => {
      for (const d of [...scriptDirs]) removeDir(d);
    });
  }
  scriptDirs.add(dir);
  const file = path.join(dir, `${BUILD}.worker.cjs`); // .cjs: CommonJS whatever package.json is near
  fs.writeFileSync(file, script, { mode: 0o600 });
  return { file, dir };
}

function toStderr(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * Creates a BackendWasm on the threaded-SIMD binary with `threads` XNNPACK threads (the calling
 * thread counts as one). Rejects, leaving no worker behind, if anything fails or takes longer than
 * `timeoutMs`. Not registered with tfjs: the caller does that.
 */
export async function createThreadedWasmBackend(threads: number, timeoutMs = 30_000): Promise<ThreadedWasm> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`bad thread count ${threads}`);
  threads = Math.min(threads, MAX_WASM_THREADS);
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') {
    throw new Error('SharedArrayBuffer/Atomics unavailable');
  }
  const paths = packagePaths();
  for (const f of [paths.mainScript, paths.workerModule, paths.wasmBinary]) {
    if (!fs.existsSync(f)) throw new Error(`missing ${f}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the wasm backend is chosen
  const tfwasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // Workers read their script when they start, so it only has to exist while a worker loads:
  // it is removed once the pool is up (no litter in the temp dir if the process is killed later)
  // and written again should emscripten ever need a new worker.
  let script: { file: string; dir: string } | undefined;
  const workerScript = () => {
    if (script == null || !fs.existsSync(script.file)) script = writeWorkerScript(paths.workerModule);
    return script.file;
  };
  const removeWorkerScript = () => {
    if (script != null) removeDir(script.dir);
    script = undefined;
  };
  const factory = createRequire(paths.mainScript)(paths.mainScript) as Factory;
  if (typeof factory !== 'function') throw new Error(`${paths.mainScript} does not export a factory`);
  const binary = fs.readFileSync(paths.wasmBinary);

  let fail: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined); // handled through Promise.race below
  let initializing = true;

  const config: FactoryConfig = {
    locateFile(file, prefix) {
      if (file.endsWith('.worker.js')) return workerScript();
      if (file.endsWith('.wasm')) return paths.wasmBinary;
      return prefix + file;
    },
    mainScriptUrlOrBlob: paths.mainScript,
    instantiateWasm(imports, receive) {
      const env = imports.env;
      if (env == null || typeof env.emscripten_num_logical_cores !== 'function') {
        fail(new Error('wasm imports lack emscripten_num_logical_cores'));
        return {};
      }
      // backend.cc caps its pool at logical cores / 2.
      env.emscripten_num_logical_cores = () => 2 * threads;
      WA.instantiate(binary, imports).then(
        ({ instance, module }) => receive(instance, module),
        (e: unknown) => fail(e),
      );
      return {};
    },
    print: toStderr,
    printErr: toStderr,
    onAbort(what) {
      fail(new Error(`wasm aborted: ${String(what)}`));
    },
  };

  const patchWorker = (w: PthreadWorker) => {
    // Never let a pthread worker keep the process alive (the pool threads never finish).
    w.unref();
    w.ref = () => undefined;
    // emscripten's error handler rethrows (an uncaught exception); while loading, reject instead.
    let handler: ((e: unknown) => void) | undefined;
    Object.defineProperty(w, 'onerror', {
      configurable: true,
      get: () => (e: unknown) => (initializing ? fail(e) : handler?.(e)),
      set: (fn: (e: unknown) => void) => {
        handler = fn;
      },
    });
    w.on('error', (e) => {
      if (initializing) fail(e);
    });
  };

  const ready = factory(config); // spawns the worker pool synchronously
  const pthread = config.PThread;
  const cleanup = () => {
    try {
      pthread?.terminateAllThreads();
    } catch {
      // ignore
    }
  };
  try {
    if (pthread == null || !Array.isArray(pthread.unusedWorkers)) throw new Error('emscripten PThread API not found');
    // The pool needs threads - 1 pthreads; keep one spare. The wasm module is loaded into the
    // workers after instantiation, so trimming now avoids loading it into idle workers.
    const keep = Math.max(1, threads);
    for (const w of pthread.unusedWorkers.splice(keep)) void w.terminate();
    while (pthread.unusedWorkers.length < keep) pthread.allocateUnusedWorker();
    pthread.unusedWorkers.forEach(patchWorker);
    const allocate = pthread.allocateUnusedWorker.bind(pthread);
    pthread.allocateUnusedWorker = () => {
      allocate();
      const w = pthread.unusedWorkers[pthread.unusedWorkers.length - 1];
      if (w != null) patchWorker(w);
    };

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`threaded wasm did not load within ${timeoutMs} ms`)), timeoutMs);
    });
    let module: WasmModule;
    try {
      module = await Promise.race([ready, failed, timeout]);
    } finally {
      clearTimeout(timer);
      removeWorkerScript();
    }

    const m = module as unknown as { cwrap: (name: string, ret: string | null, args: string[]) => (...a: number[]) => number };
    (module as unknown as { tfjs: unknown }).tfjs = {
      init: m.cwrap('init', null, []),
      initWithThreadsCount: m.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: m.cwrap('get_threads_count', 'number', []),
      registerTensor: m.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: m.cwrap('dispose_data', null, ['number']),
      dispose: m.cwrap('dispose', null, []),
    };
    tfwasm.setThreadsCount(threads);
    const backend = new tfwasm.BackendWasm(module); // creates the XNNPACK pool
    const actual = tfwasm.getThreadsCount();
    initializing = false;
    return { backend, threads: actual };
  } catch (e) {
    initializing = false;
    removeWorkerScript();
    cleanup();
    throw e;
  }
}
