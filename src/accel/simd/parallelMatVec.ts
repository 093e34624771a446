/**
 * The vector x matrix product split over two threads: this one and a worker, each streaming half
 * of the matrix's columns from one shared WebAssembly memory. A step of the seed model reads 17 MB
 * of weights, more than one core can stream in the time the sampling target allows.
 *
 * The worker waits on an Atomics futex, so it costs nothing between products, and it is unref'd,
 * so it never keeps the process alive. If it ever fails to answer, this thread computes the
 * worker's half itself from then on: a product is never lost and never hangs.
 */
import type { Worker } from 'node:worker_threads';
import { MATVEC_SHARED_WASM_BASE64 } from './matvecWasm';
import type { MatVec } from '../matVec/matVec';
import { lazyModule, MatVecExports, roundUp4 } from './wasmMatVec';
import { functionSource, startWorker } from './worker';

/** How long a product waits for the worker before doing its half here. */
const WORKER_TIMEOUT_MS = 2000;

/** Control words at the start of the memory: the request number, the answered request number. */
const REQUEST = 0;
const ANSWERED = 1;
const CONTROL_BYTES = 16;

interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  args: readonly [number, number, number, number, number];
  /** The control words' indices. */
  request: number;
  answered: number;
}

/** Runs in the worker (see functionSource): multiply its half for every new request number; a negative one ends it. */
function workerMain(data: WorkerData): void {
  const { module, memory, args, request: requestAt, answered: answeredAt } = data;
  const { matvec } = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as MatVecExports;
  const control = new Int32Array(memory.buffer, 0, 4);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, requestAt, seen);
    const request = Atomics.load(control, requestAt);
    if (request < 0) break;
    seen = request;
    matvec(...args);
    Atomics.store(control, answeredAt, request);
    Atomics.notify(control, answeredAt);
  }
}

/** The worker's code. */
const WORKER_SOURCE = functionSource(workerMain);

// Needs SIMD and threads (shared memory); callers fall back to the one-thread product.
const sharedModule = lazyModule(MATVEC_SHARED_WASM_BASE64);

export function parallelMatVecAvailable(): boolean {
  return sharedModule() !== null;
}

/** A MatVec that also tells how many threads its products use (2, or 1 once the worker is gone). */
export interface ParallelMatVec extends MatVec {
  readonly threads: number;
}

export function parallelMatVec(matrix: Float32Array, rows: number, cols: number): ParallelMatVec {
  const mod = sharedModule();
  if (!mod) throw new Error('WebAssembly SIMD with shared memory is not available');
  if (matrix.length !== rows * cols) throw new Error(`matrix has ${matrix.length} values, expected ${rows * cols}`);
  if (cols < 8) throw new Error(`a two-thread product needs at least 8 columns, got ${cols}`);
  // Columns [0, leftCols) here, [leftCols, cols) in the worker; each half is its own [n, m] matrix
  // padded with zeros to multiples of 4, and the two outputs are adjacent.
  const n = roundUp4(rows);
  const leftCols = roundUp4(Math.ceil(cols / 2));
  const rightCols = cols - leftCols;
  const mRight = roundUp4(rightCols);
  const leftOffset = CONTROL_BYTES / 4;
  const rightOffset = leftOffset + n * leftCols;
  const vOffset = rightOffset + n * mRight;
  const outOffset = vOffset + n;
  const floats = outOffset + leftCols + mRight;
  const pages = Math.ceil((floats * 4) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const heap = new Float32Array(memory.buffer);
  for (let r = 0; r < rows; r++) {
    const row = matrix.subarray(r * cols, (r + 1) * cols);
    heap.set(row.subarray(0, leftCols), leftOffset + r * leftCols);
    heap.set(row.subarray(leftCols), rightOffset + r * mRight);
  }
  const control = new Int32Array(memory.buffer, 0, 4);
  const { matvec } = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as MatVecExports;
  const leftArgs = [vOffset * 4, leftOffset * 4, outOffset * 4, n, leftCols] as const;
  const rightArgs = [vOffset * 4, rightOffset * 4, (outOffset + leftCols) * 4, n, mRight] as const;
  const data: WorkerData = { module: mod, memory, args: rightArgs, request: REQUEST, answered: ANSWERED };
  let worker: Worker | null = startWorker(WORKER_SOURCE, data);
  worker.on('error', () => {
    worker = null;
  });
  const v = heap.subarray(vOffset, vOffset + rows);
  const out = heap.subarray(outOffset, outOffset + cols);
  let request = 0;
  return {
    rows,
    cols,
    get threads() {
      return worker ? 2 : 1;
    },
    multiply(input: Float32Array): Float32Array {
      v.set(input);
      if (worker) {
        request++;
        Atomics.store(control, REQUEST, request);
        Atomics.notify(control, REQUEST);
      }
      matvec(...leftArgs);
      while (worker && Atomics.load(control, ANSWERED) !== request) {
        if (Atomics.wait(control, ANSWERED, request - 1, WORKER_TIMEOUT_MS) === 'timed-out') {
          // A worker that stopped answering is not trusted again; its half is computed here below.
          void worker.terminate();
          worker = null;
        }
      }
      if (!worker) matvec(...rightArgs);
      return out;
    },
    dispose() {
      if (!worker) return;
      Atomics.store(control, REQUEST, -1);
      Atomics.notify(control, REQUEST);
      worker = null;
    },
  };
}
