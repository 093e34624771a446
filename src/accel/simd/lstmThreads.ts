/**
 * Runs lstmHalves.ts jobs on this thread and one worker over the tfjs wasm heap. The worker sleeps
 * on an Atomics futex between jobs, is unref'd (it never keeps the process alive), and is trusted
 * only while it answers: if it fails to start or to reach a barrier within PEER_TIMEOUT_MS, this
 * thread does its part from that step on and the worker is not used again. A job is never lost.
 */
import * as os from 'node:os';
import * as v8 from 'node:v8';
import type { Worker } from 'node:worker_threads';
import { LSTM_KERNELS_FMA_WASM_BASE64, LSTM_KERNELS_WASM_BASE64 } from './lstmKernelsWasm';
import { CONTROL, createLstmHalves, JOB_KIND, LstmHalves, LstmKernels, PARAM } from './lstmHalves';
import { lazyModule } from './wasmMatVec';
import { functionSource, startWorker } from './worker';

/** How long this thread waits for the worker (to start, or at a barrier) before going on alone. */
const PEER_TIMEOUT_MS = 5000;

// Needs SIMD and threads; null where the runtime lacks them.
const plainKernels = lazyModule(LSTM_KERNELS_WASM_BASE64);
const fusedKernels = lazyModule(LSTM_KERNELS_FMA_WASM_BASE64);
let relaxedSimdAsked = false;

/**
 * lstmKernels.wat with the gemm's multiply-adds fused (relaxed SIMD: 1.4-1.6x the plain gemm's
 * GFLOP/s here) where the runtime has them, else as written; null without SIMD or threads. V8 ships relaxed
 * SIMD from 11.4 (Node 22, VS Code's Electron); Node 20's V8 11.3 has it behind a flag, which is
 * set here, before the first compile, only where the fused module does not validate.
 */
export function lstmKernelsModule(options: { fused: boolean } = { fused: true }): WebAssembly.Module | null {
  if (!options.fused) return plainKernels();
  if (!relaxedSimdAsked && !WebAssembly.validate(Buffer.from(LSTM_KERNELS_FMA_WASM_BASE64, 'base64'))) {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  relaxedSimdAsked = true;
  return fusedKernels() ?? plainKernels();
}

interface WorkerData {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  params: typeof PARAM;
  slots: typeof CONTROL;
}

/** The worker's loop: runs part 1 of every job posted in the control array (see functionSource). */
function workerMain(data: WorkerData, create: typeof createLstmHalves): void {
  const { memory, module, control, params, slots } = data;
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LstmKernels;
  const ctl = new Int32Array(control);
  const halves = create(memory, kernels, ctl, params, slots);
  Atomics.store(ctl, slots.READY, 1);
  Atomics.notify(ctl, slots.READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, slots.JOB, seen);
    const job = Atomics.load(ctl, slots.JOB);
    if (job < 0) break;
    if (job === seen) continue;
    seen = job;
    const outcome = halves.runSteps(1, (barrier) => halves.waitFor(0, barrier, Infinity));
    // Cancelled, or the main thread took over the finishing work: this worker is done for good.
    if (outcome === 'cancelled' || Atomics.compareExchange(ctl, slots.FINISH, job - 1, job) !== job - 1) break;
    halves.finish(1);
    Atomics.store(ctl, slots.DONE, job);
    Atomics.notify(ctl, slots.DONE);
  }
}

/** The worker's code: workerMain, given createLstmHalves. */
export const WORKER_SOURCE = functionSource(workerMain, createLstmHalves);

export type JobParams = Partial<Record<keyof typeof PARAM, number>>;

export interface LstmThreadsOptions {
  /** Start a worker (else this thread runs both parts). */
  useWorker: boolean;
  peerTimeoutMs?: number;
  /** The worker's code; tests replace it with one that never answers. */
  workerSource?: string;
}

export class LstmThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer((CONTROL.PARAMS + CONTROL.SLOTS) * 4));
  private readonly halves: LstmHalves;
  private worker: Worker | null = null;
  private job = 0;
  private barrier = 0;
  private readonly peerTimeoutMs: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    options: LstmThreadsOptions,
  ) {
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as LstmKernels;
    this.halves = createLstmHalves(memory, kernels, this.control, PARAM, CONTROL);
    this.peerTimeoutMs = options.peerTimeoutMs ?? PEER_TIMEOUT_MS;
    if (options.useWorker) this.startWorker(module, options.workerSource ?? WORKER_SOURCE);
  }

  /** 2 while the worker takes part, else 1. */
  get threads(): number {
    return this.worker ? 2 : 1;
  }

  /** Runs one job (parameters not given are -1) and returns when every step is done. */
  run(kind: (typeof JOB_KIND)[keyof typeof JOB_KIND], params: JobParams): void {
    const values = new Array<number>(CONTROL.SLOTS).fill(-1);
    for (const [name, value] of Object.entries(params)) values[PARAM[name as keyof typeof PARAM]] = value;
    values[PARAM.KIND] = kind;
    values[PARAM.BARRIER_BASE] = this.barrier + 1;
    const steps = kind === JOB_KIND.FORWARD ? values[PARAM.STEPS] : values[PARAM.T_END] - values[PARAM.T_START];
    this.barrier += steps;
    for (let k = 0; k < values.length; k++) Atomics.store(this.control, CONTROL.PARAMS + k, values[k]);
    if (!this.worker) {
      this.halves.runSteps(0, null);
      this.halves.finish(0);
      this.halves.finish(1);
      return;
    }
    this.job++;
    Atomics.store(this.control, CONTROL.JOB, this.job);
    Atomics.notify(this.control, CONTROL.JOB);
    try {
      const outcome = this.halves.runSteps(0, (barrier) => this.halves.waitFor(1, barrier, this.peerTimeoutMs) || !this.halves.cancel(1, barrier));
      this.halves.finish(0);
      if (outcome === 'both parts') {
        this.halves.finish(1);
        this.stopWorker();
      } else if (!this.waitForJobDone(this.peerTimeoutMs)) {
        if (Atomics.compareExchange(this.control, CONTROL.FINISH, this.job - 1, -1) === this.job - 1) {
          // The worker never started its finishing work, and now never will.
          this.halves.finish(1);
          this.stopWorker();
        } else {
          // It is doing it: wait, since doing it here too would add dR twice.
          this.waitForJobDone(Infinity);
        }
      }
    } catch (error) {
      // A worker left inside this job would run its remaining steps alongside the next job.
      this.stopWorker();
      throw error;
    }
  }

  dispose(): void {
    this.stopWorker();
  }

  private waitForJobDone(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.control, CONTROL.DONE);
      if (done === this.job) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.control, CONTROL.DONE, done, Math.min(left, 2 ** 31 - 1));
    }
  }

  private startWorker(module: WebAssembly.Module, source: string): void {
    const data: WorkerData = { memory: this.memory, module, control: this.control.buffer, params: PARAM, slots: CONTROL };
    const worker = startWorker(source, data);
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
    });
    // Blocks this thread until the worker is ready: once, and at most peerTimeoutMs.
    if (Atomics.wait(this.control, CONTROL.READY, 0, this.peerTimeoutMs) === 'timed-out') {
      void worker.terminate();
      return;
    }
    this.worker = worker;
  }

  private stopWorker(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    Atomics.store(this.control, CONTROL.JOB, -1);
    Atomics.notify(this.control, CONTROL.JOB);
    void worker.terminate();
  }
}

let shared: LstmThreads | null = null;

/** Builds a runner on a wasm heap, or returns null where our gemm cannot run on it (no SIMD, or a memory that is not shared). */
export function createLstmThreads(memory: WebAssembly.Memory, options: LstmThreadsOptions): LstmThreads | null {
  const module = lstmKernelsModule();
  if (!module || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  return new LstmThreads(memory, module, options);
}

/**
 * The runner for a wasm heap (one per memory: tfjs has one wasm backend), or null where our gemm
 * cannot run on it (the single-thread tfjs wasm build has no shared memory).
 */
export function lstmThreadsFor(memory: WebAssembly.Memory): LstmThreads | null {
  if (shared?.memory === memory) return shared;
  const created = createLstmThreads(memory, { useWorker: os.availableParallelism() > 1 });
  if (!created) return null;
  shared?.dispose();
  shared = created;
  return shared;
}
