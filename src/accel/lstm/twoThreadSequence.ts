/**
 * The fused LSTM sequence (see fusedSequence.ts) with its time loop run on two threads by
 * simd/lstmThreads.ts: one job for the forward pass, one per chunk of steps for the backward
 * pass, which also accumulates the recurrent kernel's gradient over the chunk. Our gemm does that
 * product from layouts the cell writes directly (h transposed, dz in panels); tfjs's matmul had to
 * transpose one operand and repack the other, at 16 GFLOP/s.
 */
import * as tf from '@tensorflow/tfjs';
import { JOB_KIND, packedPartFloats, packRecurrentKernel, packRecurrentKernelTransposed } from '../simd/lstmHalves';
import { LstmThreads, lstmThreadsFor } from '../simd/lstmThreads';
import { activeWasmHeap, WasmHeap } from '../tfjsKernels/memory';
import { twoThreadLstmAllowed } from '../backend';
import type { FusedSequence } from './types';

/**
 * The heap and runner when the two-thread loop can run this layer, else null.
 * @param runner the caller's runner, false for none, or undefined for the heap's shared one
 */
function runnerFor(units: number, runner: LstmThreads | false | undefined): { heap: WasmHeap; threads: LstmThreads } | null {
  // Each part's gemm panels are 8 columns of its U/2 units.
  if (runner === false || (runner === undefined && !twoThreadLstmAllowed()) || units % 16 !== 0) return null;
  const heap = activeWasmHeap();
  const threads = heap ? (runner ?? lstmThreadsFor(heap.memory)) : null;
  return heap && threads ? { heap, threads } : null;
}

/** How many threads the loop uses now (0 when it cannot run), for tests and benchmarks. */
export function twoThreadLstmThreads(units: number): number {
  return runnerFor(units, undefined)?.threads.threads ?? 0;
}

/**
 * Same contract as fusedSequence.ts' fusedSequence; null (and nothing done) where the two-thread
 * loop cannot run this layer.
 * @param chunkRows rows of dz kept (as gemm panels) at a time for the recurrent kernel's gradient
 * @param runner see FusedLstmOptions.threads
 */
export function twoThreadSequence(
  x: tf.Tensor2D,
  ids: tf.Tensor1D | null,
  r: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  steps: number,
  save: tf.GradSaveFunc,
  chunkRows: number,
  runner?: LstmThreads | false,
): FusedSequence | null {
  const found = runnerFor(r.shape[0], runner);
  if (!found) return null;
  const { heap, threads } = found;
  const [batch, units] = h0.shape;
  const width = 4 * units;
  const floats = (): Float32Array => new Float32Array(heap.memory.buffer);
  // Allocate first: an allocation may grow the heap, and each job reads the heap afresh. Every
  // buffer here is written whole before it is read, so none is filled with zeros.
  const empty = (shape: number[]): tf.Tensor2D => heap.uninitialized(shape) as tf.Tensor2D;
  const hAll = empty([steps * batch, units]);
  const gates = empty([steps * batch, width]);
  const cAll = empty([(steps + 1) * batch, units]); // c_{-1} .. c_{T-1}
  const hT = empty([units, steps * batch]); // h_{t-1} for every step, transposed
  const rPacked = empty([2 * packedPartFloats(units)]);
  const z = empty([2 * batch * 2 * units]);
  const f32 = floats();
  f32.copyWithin(heap.offset(cAll) >>> 2, heap.offset(c0) >>> 2, (heap.offset(c0) >>> 2) + batch * units);
  const [h0At, hTAt] = [heap.offset(h0) >>> 2, heap.offset(hT) >>> 2];
  for (let b = 0; b < batch; b++) for (let u = 0; u < units; u++) f32[hTAt + u * steps * batch + b] = f32[h0At + b * units + u];
  packRecurrentKernel(f32, heap.offset(r) >>> 2, heap.offset(rPacked) >>> 2, units);
  threads.run(JOB_KIND.FORWARD, {
    STEPS: steps,
    BATCH: batch,
    UNITS: units,
    IDS: ids ? heap.offset(ids) : -1,
    GATES: heap.offset(gates),
    C_ALL: heap.offset(cAll),
    H_T: heap.offset(hT),
    X: heap.offset(x),
    H0: heap.offset(h0),
    H_ALL: heap.offset(hAll),
    R0: heap.offset(rPacked),
    R1: heap.offset(rPacked) + packedPartFloats(units) * 4,
    Z0: heap.offset(z),
    Z1: heap.offset(z) + batch * 2 * units * 4,
  });
  rPacked.dispose();
  z.dispose();
  save([gates, cAll, hT, r, ...(ids ? [ids] : [])]);
  const tableRows = x.shape[0];
  return {
    value: hAll,
    backward: (dy, saved) => {
      const [gatesKept, cAllKept, hTKept, rKept] = saved as tf.Tensor2D[];
      const idsKept = ids ? (saved[4] as tf.Tensor1D) : null;
      // dz in panels for dR is kept for a chunk of steps at a time.
      const chunkSteps = Math.max(1, Math.min(steps, Math.round(chunkRows / batch)));
      const rtPacked = empty([2 * packedPartFloats(units)]);
      const dh = empty([batch, units]);
      const dc = empty([2 * batch, units]); // by step parity: dc_0 ends in the first half
      const dzSteps = empty([2 * batch, width]);
      // The rows input's gradient is dz of every step; a table's is dTable.
      const dInput = idsKept ? null : empty([steps * batch, width]);
      const dR = empty([units, width]);
      const dzPanels = empty([chunkSteps * batch * width]); // a shorter last chunk uses its start
      // dz is added into the table's gradient: the one buffer that starts from zeros.
      const dTable = idsKept ? (tf.fill([tableRows, width], 0) as tf.Tensor2D) : null;
      packRecurrentKernelTransposed(floats(), heap.offset(rKept) >>> 2, heap.offset(rtPacked) >>> 2, units);
      for (let chunkEnd = steps; chunkEnd > 0;) {
        const chunkStart = Math.max(0, chunkEnd - chunkSteps);
        threads.run(JOB_KIND.BACKWARD, {
          STEPS: steps,
          BATCH: batch,
          UNITS: units,
          IDS: idsKept ? heap.offset(idsKept) : -1,
          GATES: heap.offset(gatesKept),
          C_ALL: heap.offset(cAllKept),
          H_T: heap.offset(hTKept),
          DY: heap.offset(dy),
          RT0: heap.offset(rtPacked),
          RT1: heap.offset(rtPacked) + packedPartFloats(units) * 4,
          DZ_STEPS: heap.offset(dzSteps),
          DZ_OUT: dInput ? heap.offset(dInput) : -1,
          DZ_PANELS: heap.offset(dzPanels),
          DH: heap.offset(dh),
          DC: heap.offset(dc),
          D_TABLE: dTable ? heap.offset(dTable) : -1,
          D_R: heap.offset(dR),
          ACCUMULATE: chunkEnd === steps ? 0 : 1,
          T_START: chunkStart,
          T_END: chunkEnd,
        });
        chunkEnd = chunkStart;
      }
      const dc0 = tf.slice(dc, [0, 0], [batch, units]);
      tf.dispose([rtPacked, dzSteps, dzPanels, dc]);
      return { dInput: (dTable ?? dInput) as tf.Tensor2D, dR, dh0: dh, dc0 };
    },
  };
}
