/**
 * The LSTM's time loop, forward and backward, split between two threads that each own half of
 * the units: a thread computes its units' gate pre-activations (its columns of h R, with our SIMD
 * gemm over R packed for it), then its units' cell update, then meets the other thread at a
 * barrier, since the next step's product needs all of h. One barrier per time step replaces a
 * tfjs matmul and a cell kernel per step, and both halves of the work run in parallel. The gemm
 * and the cell are WebAssembly SIMD (lstmKernels.wat).
 *
 * Everything lives in the tfjs wasm heap (a shared WebAssembly memory); a job's parameters are
 * byte offsets into it, written by lstmThreads.ts into a small shared control array.
 *
 * `createLstmHalves` must stay self-contained (no imports, no names from outside its body): the
 * worker thread runs its source text (see worker.ts).
 */

/** Slots of the control array (Int32Array over its own SharedArrayBuffer). */
export const CONTROL = {
  /** The job number the main thread posted; negative asks the worker to exit. */
  JOB: 0,
  /** The job number the worker finished. */
  DONE: 1,
  /** Barrier counters: ARRIVED + part is the last barrier that part reached. */
  ARRIVED: 2,
  /** Set to 1 by the worker once it is ready for jobs. */
  READY: 4,
  /** The last job whose finishing work the worker claimed (or -1: the main thread took it). */
  FINISH: 5,
  /** Job parameters start here (see PARAM). */
  PARAMS: 8,
  SLOTS: 32,
} as const;

/**
 * Job parameters, relative to CONTROL.PARAMS. Pointers are byte offsets into the heap, stored as
 * int32: past 2 GB they read as negative, which wasm takes as the same address; -1 is none.
 */
export const PARAM = {
  // both: gates [T*B, 4U] and c_{-1} .. c_{T-1} [(T+1)*B, U] (forward: out; backward: in), and
  // h_{t-1} for every step, transposed: [U, T*B] (forward: writes columns B ..; backward: in)
  KIND: 0,
  STEPS: 1,
  BATCH: 2,
  UNITS: 3,
  BARRIER_BASE: 4,
  IDS: 5,
  GATES: 6,
  C_ALL: 7,
  H_T: 8,
  // forward: x (rows [T*B, 4U], or with ids a table [V, 4U]), h0 [B, U], hAll [T*B, U] (out),
  // packed R for each part, scratch for each part's pre-activations [B, 2U]
  X: 9,
  H0: 10,
  H_ALL: 11,
  R0: 12,
  R1: 13,
  Z0: 14,
  Z1: 15,
  // backward, over steps [T_START, T_END): dy [T*B, U], packed R^T for each part; dz of the last
  // two steps [2, B, 4U] (step t in half t % 2, kept across jobs); optionally every step's dz
  // [T*B, 4U] (the rows input's gradient); the job's dz as gemm panels [4U / 8][rows][8], where
  // rows = (T_END - T_START) * B; dh [B, U] and dc [2, B, U] (step t's in half t % 2; in and
  // out, across jobs); the table gradient [V, 4U] that dz is added into (with ids); the recurrent
  // kernel's gradient [U, 4U] (written, or added into when ACCUMULATE is 1)
  DY: 16,
  RT0: 17,
  RT1: 18,
  DZ_STEPS: 19,
  DZ_OUT: 20,
  DZ_PANELS: 21,
  DH: 22,
  DC: 23,
  D_TABLE: 24,
  D_R: 25,
  ACCUMULATE: 26,
  T_START: 27,
  T_END: 28,
} as const;

export const JOB_KIND = { FORWARD: 1, BACKWARD: 2 } as const;

/** How runSteps ended: this thread's part only, both parts (the other was cancelled), or cancelled. */
export type StepsOutcome = 'own part' | 'both parts' | 'cancelled';

export type Gemm = (a: number, lda: number, b: number, c: number, ldc: number, m: number, k: number, n8: number, accumulate: number) => void;

/** What lstmKernels.wat exports; every pointer and stride is in bytes (see lstmKernels.wat). */
export interface LstmKernels {
  gemm: Gemm;
  cellForward: (
    x: number,
    z: number,
    cPrev: number,
    cNext: number,
    h: number,
    gates: number,
    hT: number,
    hTStride: number,
    xGate: number,
    zGate: number,
    n: number,
  ) => void;
  cellBackward: (
    gates: number,
    cPrev: number,
    c: number,
    dy: number,
    dh: number,
    dcNext: number,
    dc: number,
    last: number,
    dz: number,
    dzOut: number,
    panel: number,
    panelStride: number,
    gatePanels: number,
    table: number,
    gate: number,
    n: number,
  ) => void;
}

export interface LstmHalves {
  /**
   * Runs this thread's part of the posted job's steps. `waitForPeer(n)` returns once the other
   * thread reached barrier n, or false once it has cancelled the other thread there (see cancel);
   * then this thread runs both parts from that step on. With `waitForPeer` null this thread runs
   * both parts. Stops at once if this thread's own part was cancelled.
   */
  runSteps(part: number, waitForPeer: ((barrier: number) => boolean) | null): StepsOutcome;
  /** A part's work after the last step: in a backward job, its columns of dR, and of dh0 = dz_0 R^T when the job ends at step 0. */
  finish(part: number): void;
  /**
   * Marks barrier n as reached by `part` and wakes the other thread if it sleeps on it; false if
   * `part` was cancelled instead. Barriers are numbered without gaps, so `part` was at n - 1.
   */
  arrive(part: number, barrier: number): boolean;
  /**
   * Stops `part` from going past barrier n if it has not reached it yet (true); false if it
   * has. A cancelled part finds out when it arrives, and runs no further step of the job.
   */
  cancel(part: number, barrier: number): boolean;
  /** Waits until `part` reached barrier n: spins briefly, then sleeps; false after timeoutMs. */
  waitFor(part: number, barrier: number, timeoutMs: number): boolean;
}

export function createLstmHalves(
  memory: WebAssembly.Memory,
  kernels: LstmKernels,
  control: Int32Array,
  params: typeof PARAM,
  slots: typeof CONTROL,
): LstmHalves {
  const { gemm, cellForward, cellBackward } = kernels;
  let i32 = new Int32Array(memory.buffer);
  const p = new Int32Array(slots.SLOTS);
  const SPINS = 20000;

  /**
   * A cancelled worker may still be inside the step it had begun, and stops at its next row. So
   * that its last writes cannot spoil later steps, a thread running the other part as well keeps
   * that part's scratch (pre-activations, dh columns) in its own: `scratch` is the part whose
   * scratch a step uses, and only a part running with its own scratch looks for cancellation.
   */
  const cancelled = (part: number, scratch: number): boolean => part === scratch && Atomics.load(control, slots.ARRIVED + part) === -2;

  const forwardStep = (part: number, t: number, scratch: number): void => {
    const batch = p[params.BATCH];
    const units = p[params.UNITS];
    const half = units >> 1;
    const zWidth = 2 * units;
    const z = scratch === 0 ? p[params.Z0] : p[params.Z1];
    const a = t === 0 ? p[params.H0] : p[params.H_ALL] + (t - 1) * batch * units * 4;
    gemm(a, units * 4, part === 0 ? p[params.R0] : p[params.R1], z, zWidth * 4, batch, units, zWidth >> 3, 0);
    const ids = p[params.IDS];
    const rows = p[params.STEPS] * batch;
    const first = part * half * 4; // bytes
    for (let b = 0; b < batch; b++) {
      if (cancelled(part, scratch)) return;
      const n = t * batch + b;
      const xRow = ids !== -1 ? i32[(ids >>> 2) + n] : n;
      // h_t is h_{t'-1} for t' = t + 1: column (t + 1) * B + b of hT
      const hT = t + 1 < p[params.STEPS] ? p[params.H_T] + (part * half * rows + n + batch) * 4 : -1;
      cellForward(
        p[params.X] + xRow * units * 16 + first,
        z + b * zWidth * 4,
        p[params.C_ALL] + n * units * 4 + first,
        p[params.C_ALL] + (n + batch) * units * 4 + first,
        p[params.H_ALL] + n * units * 4 + first,
        p[params.GATES] + n * units * 16 + first,
        hT,
        rows * 4,
        units * 4,
        half * 4,
        half,
      );
    }
  };

  /** dh for a part's units = dz of a step x R^T, written into the dh columns of part `into`. */
  const dhProduct = (part: number, dzBytes: number, into: number): void => {
    const batch = p[params.BATCH];
    const units = p[params.UNITS];
    const half = units >> 1;
    gemm(dzBytes, units * 16, part === 0 ? p[params.RT0] : p[params.RT1], p[params.DH] + into * half * 4, units * 4, batch, 4 * units, half >> 3, 0);
  };

  /** Where dz of step t is while steps t - 1 and t - 2 run. */
  const dzBytesOf = (t: number): number => p[params.DZ_STEPS] + (t & 1) * p[params.BATCH] * p[params.UNITS] * 16;
  /** Where dc of step t is, likewise: a step never overwrites what it reads, so it can be run again. */
  const dcOf = (t: number): number => p[params.DC] + (t & 1) * p[params.BATCH] * p[params.UNITS] * 4;

  const backwardStep = (part: number, t: number, scratch: number): void => {
    const batch = p[params.BATCH];
    const units = p[params.UNITS];
    const half = units >> 1;
    const last = t === p[params.STEPS] - 1;
    if (!last) dhProduct(part, dzBytesOf(t + 1), scratch);
    const ids = p[params.IDS];
    const dTable = p[params.D_TABLE];
    const dzOut = p[params.DZ_OUT];
    const dz = dzBytesOf(t);
    const first = part * half * 4; // bytes
    // In the panels, dz[r, column] is at ((column >> 3) * rows + r) * 8 + (column & 7) floats.
    const chunkRows = (p[params.T_END] - p[params.T_START]) * batch;
    const panelStride = chunkRows * 32;
    const panels = p[params.DZ_PANELS] + ((part * half) >> 3) * panelStride;
    const dh = p[params.DH] + scratch * half * 4;
    for (let b = 0; b < batch; b++) {
      if (cancelled(part, scratch)) return;
      const n = t * batch + b;
      const row = b * units * 4 + first;
      cellBackward(
        p[params.GATES] + n * units * 16 + first,
        p[params.C_ALL] + n * units * 4 + first,
        p[params.C_ALL] + (n + batch) * units * 4 + first,
        p[params.DY] + n * units * 4 + first,
        dh + b * units * 4,
        dcOf(t + 1) + row,
        dcOf(t) + row,
        last ? 1 : 0,
        dz + b * units * 16 + first,
        dzOut !== -1 ? dzOut + n * units * 16 + first : -1,
        panels + ((t - p[params.T_START]) * batch + b) * 32,
        panelStride,
        units * chunkRows * 4,
        dTable !== -1 ? dTable + i32[(ids >>> 2) + n] * units * 16 + first : -1,
        units * 4,
        half,
      );
    }
  };

  const halves: LstmHalves = {
    runSteps(part, waitForPeer) {
      if (i32.buffer !== memory.buffer) {
        // The heap grew since the last job: a view over the old buffer stops at its old length.
        i32 = new Int32Array(memory.buffer);
      }
      for (let k = 0; k < p.length; k++) p[k] = Atomics.load(control, slots.PARAMS + k);
      const forward = p[params.KIND] === 1;
      const step = forward ? forwardStep : backwardStep;
      const first = forward ? 0 : p[params.T_END] - 1;
      const count = forward ? p[params.STEPS] : p[params.T_END] - p[params.T_START];
      let alone = waitForPeer === null;
      for (let k = 0; k < count; k++) {
        const t = forward ? first + k : first - k;
        step(part, t, part);
        if (alone) {
          step(1 - part, t, part);
          continue;
        }
        const barrier = p[params.BARRIER_BASE] + k;
        if (!halves.arrive(part, barrier)) return 'cancelled';
        if (!(waitForPeer as (barrier: number) => boolean)(barrier)) {
          // The other thread was cancelled before reaching this barrier: it runs no further step
          // (see `cancelled`), and its part of this step and of every later one is done here. A
          // step writes nothing it reads, so running it again is harmless, except for the table
          // gradient it adds dz into: a worker that stalled for the whole timeout inside a
          // backward step (never observed) has the rows it had done counted twice.
          alone = true;
          step(1 - part, t, part);
        }
      }
      return alone ? 'both parts' : 'own part';
    },
    finish(part) {
      if (p[params.KIND] !== 2) return;
      // dR[:, this part's columns] (+)= h_{t-1}^T dz over the job's steps, one gate at a time.
      const batch = p[params.BATCH];
      const units = p[params.UNITS];
      const half = units >> 1;
      const chunkRows = (p[params.T_END] - p[params.T_START]) * batch;
      const hT = p[params.H_T] + p[params.T_START] * batch * 4;
      for (let gate = 0; gate < 4; gate++) {
        const column = gate * units + part * half;
        gemm(
          hT,
          p[params.STEPS] * batch * 4,
          p[params.DZ_PANELS] + (column >> 3) * chunkRows * 32,
          p[params.D_R] + column * 4,
          units * 16,
          units,
          chunkRows,
          half >> 3,
          p[params.ACCUMULATE],
        );
      }
      if (p[params.T_START] === 0) dhProduct(part, dzBytesOf(0), part);
    },
    arrive(part, barrier) {
      if (Atomics.compareExchange(control, slots.ARRIVED + part, barrier - 1, barrier) !== barrier - 1) return false;
      Atomics.notify(control, slots.ARRIVED + part);
      return true;
    },
    cancel(part, barrier) {
      // -2: below every barrier number, and never barrier - 1 for the part's next arrival.
      return Atomics.compareExchange(control, slots.ARRIVED + part, barrier - 1, -2) === barrier - 1;
    },
    waitFor(part, barrier, timeoutMs) {
      const slot = slots.ARRIVED + part;
      // Spin first: the other thread usually arrives within microseconds, and waking from a
      // futex takes tens of them.
      for (let k = 0; k < SPINS; k++) if (Atomics.load(control, slot) >= barrier) return true;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = Atomics.load(control, slot);
        if (seen >= barrier) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        Atomics.wait(control, slot, seen, Math.min(left, 2 ** 31 - 1));
      }
    },
  };
  return halves;
}

/** Floats in each part's packed R (and R^T): its half of R. */
export const packedPartFloats = (units: number): number => 2 * units * units;

/**
 * R [U, 4U] (at float index r of the heap) packed for the forward products, part 0 then part 1:
 * a part's gemm panels cover its units' columns of gates i, f, g, o in that order, which is the
 * layout of its pre-activation scratch [B, 2U].
 */
export function packRecurrentKernel(heap: Float32Array, r: number, out: number, units: number): void {
  const half = units >> 1;
  const width = 4 * units;
  let o = out;
  for (let part = 0; part < 2; part++) {
    for (let gate = 0; gate < 4; gate++) {
      for (let j = 0; j < half; j += 8) {
        const column = gate * units + part * half + j;
        for (let k = 0; k < units; k++) {
          const source = r + k * width + column;
          for (let jj = 0; jj < 8; jj++) heap[o++] = heap[source + jj];
        }
      }
    }
  }
}

/**
 * R^T packed for the backward products (dh = dz R^T): panels of 8 of R's rows, in order, so part
 * 0's (units 0 .. U/2 - 1) come first.
 */
export function packRecurrentKernelTransposed(heap: Float32Array, r: number, out: number, units: number): void {
  const width = 4 * units;
  let o = out;
  for (let unit = 0; unit < units; unit += 8) {
    for (let k = 0; k < width; k++) {
      for (let jj = 0; jj < 8; jj++) heap[o++] = heap[r + (unit + jj) * width + k];
    }
  }
}
