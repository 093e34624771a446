/**
 * The fused LSTM sequence (see src/model/lstm.ts), forward and backward, with the fused cell
 * kernels: on two threads where the two-thread loop can run (twoThreadSequence.ts), else on this
 * one, a tfjs matmul and one cell kernel per step.
 */
import * as tf from '@tensorflow/tfjs';
import { runCellBackward, runCellForward } from '../tfjsKernels/lstmCell';
import { twoThreadSequence } from './twoThreadSequence';
import type { FusedLstmOptions, FusedSequence } from './types';

/** Rows of dz gathered before each partial dR matmul, when dz is not kept whole. */
const CHUNK_ROWS = 1536;

/**
 * The sequence's value and a function computing its gradients: for tf.customGrad's callback.
 * @param x step rows [T * B, 4U], or with `ids` a table [V, 4U]
 * @param ids the time-major ids [T * B] into the table, or null
 */
export function fusedSequence(
  x: tf.Tensor2D,
  ids: tf.Tensor1D | null,
  r: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  steps: number,
  save: tf.GradSaveFunc,
  options: FusedLstmOptions = {},
): FusedSequence {
  const chunkRows = options.chunkRows ?? CHUNK_ROWS;
  return twoThreadSequence(x, ids, r, h0, c0, steps, save, chunkRows, options.threads) ?? oneThreadSequence(x, ids, r, h0, c0, steps, save, chunkRows);
}

/**
 * The forward pass with the fused cell kernels, and its backward pass. Outputs and gradients are
 * written in place into preallocated buffers and each step's temporaries are freed as soon as they
 * are used. With a table input, dz is never kept whole: it is added into the table's gradient as it
 * is made, and the recurrent kernel's gradient is accumulated over chunks of steps; the seed
 * model's peak memory is dominated by such [T * B, 4U] buffers and the copies matmuls make of them.
 */
function oneThreadSequence(
  x: tf.Tensor2D,
  ids: tf.Tensor1D | null,
  r: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  steps: number,
  save: tf.GradSaveFunc,
  chunkRows: number,
): FusedSequence {
  const [batch, units] = h0.shape;
  const width = 4 * units;
  // tf.fill, not tf.zeros: zeros builds the array in JS and copies it into the wasm heap.
  const hAll = tf.fill([steps * batch, units], 0) as tf.Tensor2D;
  let h = h0;
  let c = c0;
  const kept: tf.Tensor[] = [c0];
  for (let t = 0; t < steps; t++) {
    const hr = tf.matMul(h, r) as tf.Tensor2D;
    const [hNew, cNew, gates] = runCellForward({ x, ids: ids ?? undefined, step: t, hr, c, hAll });
    hr.dispose();
    if (h !== h0) h.dispose();
    h = hNew;
    c = cNew;
    kept.push(gates, cNew);
  }
  if (h !== h0) h.dispose();
  // h_{t-1} for every step, stacked, for the recurrent kernel's gradient.
  const hPrev = steps > 1 ? (tf.concat([h0, tf.slice(hAll, [0, 0], [(steps - 1) * batch, units])], 0) as tf.Tensor2D) : h0;
  save([...kept, hPrev, r, ...(ids ? [ids] : [])]);
  const tableRows = x.shape[0];
  return {
    value: hAll,
    backward: (dy, saved) => {
      const hPrevKept = saved[2 * steps + 1] as tf.Tensor2D;
      const rT = tf.transpose(saved[2 * steps + 2] as tf.Tensor2D);
      const idsKept = ids ? (saved[2 * steps + 3] as tf.Tensor1D) : null;
      // Rows input: dz for every step (it is the input's gradient). Table input: a chunk at a time.
      const chunkSteps = idsKept ? Math.max(1, Math.min(steps, Math.round(chunkRows / batch))) : steps;
      // A fresh buffer per chunk: the wasm matmul caches packed operands by tensor id, so a buffer
      // rewritten in place must never be multiplied twice.
      let dzBuffer = tf.fill([chunkSteps * batch, width], 0) as tf.Tensor2D;
      const dTable = idsKept ? (tf.fill([tableRows, width], 0) as tf.Tensor2D) : null;
      let dR: tf.Tensor2D | null = null;
      let dhNext: tf.Tensor2D | null = null;
      let dcNext: tf.Tensor2D | null = null;
      // The chunk of steps [chunkStart, chunkEnd) whose dz the buffer holds, walking backwards.
      let chunkEnd = steps;
      let chunkStart = Math.max(0, steps - chunkSteps);
      for (let t = steps - 1; t >= 0; t--) {
        // saved: c_{-1}, then (gates_t, c_t) for each step.
        const [dz, dcPrev] = runCellBackward({
          dy,
          step: t,
          gates: saved[1 + 2 * t] as tf.Tensor2D,
          cPrev: saved[2 * t] as tf.Tensor2D,
          c: saved[2 + 2 * t] as tf.Tensor2D,
          dhNext,
          dcNext,
          dzCopy: { buffer: dzBuffer, row: t - chunkStart },
          dTable: dTable && idsKept ? { table: dTable, ids: idsKept } : undefined,
        });
        const dh = tf.matMul(dz, rT) as tf.Tensor2D;
        dz.dispose();
        dhNext?.dispose();
        dcNext?.dispose();
        dhNext = dh;
        dcNext = dcPrev;
        if (idsKept && t === chunkStart) {
          // dR += h_{t-1}^T dz over the chunk's steps.
          const rows = (chunkEnd - chunkStart) * batch;
          const part = tf.tidy(() =>
            tf.matMul(
              tf.slice(hPrevKept, [chunkStart * batch, 0], [rows, units]),
              rows === chunkSteps * batch ? dzBuffer : tf.slice(dzBuffer, [0, 0], [rows, width]),
              true,
              false,
            ),
          ) as tf.Tensor2D;
          if (dR) {
            const sum = tf.add(dR, part) as tf.Tensor2D;
            dR.dispose();
            part.dispose();
            dR = sum;
          } else {
            dR = part;
          }
          chunkEnd = chunkStart;
          chunkStart = Math.max(0, chunkStart - chunkSteps);
          dzBuffer.dispose();
          dzBuffer = tf.fill([chunkSteps * batch, width], 0) as tf.Tensor2D;
        }
      }
      rT.dispose();
      if (!idsKept) dR = tf.matMul(hPrevKept, dzBuffer, true, false) as tf.Tensor2D;
      else dzBuffer.dispose();
      return { dInput: dTable ?? dzBuffer, dR: dR as tf.Tensor2D, dh0: dhNext as tf.Tensor2D, dc0: dcNext as tf.Tensor2D };
    },
  };
}
