/**
 * The GRUs' tfjs graph (layouts in gru.ts and gruResetBefore.ts): composed of tfjs ops, trained
 * through plain autodiff. They are the option, the LSTM is the tuned path.
 */
import * as tf from '@tensorflow/tfjs';
import type { GateOp } from './gateOps';
import type { CellGraph, LayerWeights } from './graph';
import { sequenceRows } from './sequenceRows';

/** The recurrent weights as the step uses them, sliced once per sequence. */
type Recurrent =
  /** reset_after: h R + b_rec for all three gates in one product. */
  | { resetAfter: true; kernel: tf.Tensor2D; bias: tf.Tensor1D }
  /** reset_before: h R_zr, then (r ⊙ h) R_h. */
  | { resetAfter: false; zr: tf.Tensor2D; h: tf.Tensor2D };

function recurrentOf(w: LayerWeights, resetAfter: boolean): Recurrent {
  if (resetAfter) return { resetAfter, kernel: w.recurrentKernel, bias: w.recurrentBias as tf.Tensor1D };
  const units = w.recurrentKernel.shape[0];
  return { resetAfter, zr: tf.slice(w.recurrentKernel, [0, 0], [units, 2 * units]), h: tf.slice(w.recurrentKernel, [0, 2 * units], [units, units]) };
}

// Splits rather than slices: one op each way, and its gradient is one concat.
function cell(xProj: tf.Tensor2D, h: tf.Tensor2D, rec: Recurrent, gate: GateOp): tf.Tensor2D {
  const units = h.shape[1];
  const [xzr, xh] = tf.split(xProj, [2 * units, units], 1);
  const hProj = rec.resetAfter ? tf.split(tf.add(tf.matMul(h, rec.kernel), rec.bias), [2 * units, units], 1) : [tf.matMul(h, rec.zr)];
  const [z, r] = tf.split(gate(tf.add(xzr, hProj[0])), 2, 1);
  // reset_after: r ⊙ (h R_h + b_h); reset_before: (r ⊙ h) R_h.
  const candidateRec = rec.resetAfter ? tf.mul(r, hProj[1]) : tf.matMul(tf.mul(r, h), rec.h);
  const candidate = tf.tanh(tf.add(xh, candidateRec));
  // h = z * hPrev + (1 - z) * candidate, written as candidate + z (hPrev - candidate).
  return tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
}

/** @returns hidden states, time-major and flattened [T * B, U], and the final state. */
function gruSequence(xProj: tf.Tensor3D, rec: Recurrent, gate: GateOp, h0: tf.Tensor2D): { outputs: tf.Tensor2D; h: tf.Tensor2D } {
  // One unstack (its gradient is one stack) rather than a slice per step.
  const xs = tf.unstack(xProj) as tf.Tensor2D[];
  let h = h0;
  const hs: tf.Tensor2D[] = [];
  for (const x of xs) {
    h = cell(x, h, rec, gate);
    hs.push(h);
  }
  return { outputs: tf.concat(hs, 0) as tf.Tensor2D, h };
}

/** A GRU's graph: Keras' reset_after true or false, with the given gate activation. */
export function gruGraph(resetAfter: boolean, gate: GateOp): CellGraph {
  return {
    sequence: (input, w, zeros) => gruSequence(sequenceRows(input), recurrentOf(w, resetAfter), gate, zeros).outputs,
    sequenceWithState: (xProj, w, s) =>
      tf.tidy(() => {
        const out = gruSequence(xProj, recurrentOf(w, resetAfter), gate, s.h);
        return { outputs: out.outputs, state: { h: out.h } };
      }),
    step: (xProj, w, s) => tf.tidy(() => ({ h: cell(xProj, s.h, recurrentOf(w, resetAfter), gate) })),
  };
}
