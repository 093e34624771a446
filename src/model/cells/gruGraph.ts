/**
 * The GRU's tfjs graph (layout in gru.ts): composed of tfjs ops, trained through plain autodiff.
 * It is the option, the LSTM is the tuned path.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../../accel';
import type { CellGraph } from './graph';

function cell(xProj: tf.Tensor2D, h: tf.Tensor2D, recurrentKernel: tf.Tensor2D, recurrentBias: tf.Tensor1D): tf.Tensor2D {
  const units = recurrentKernel.shape[0];
  const batch = xProj.shape[0];
  const hProj = tf.add(tf.matMul(h, recurrentKernel), recurrentBias);
  const zr = tf.sigmoid(tf.add(tf.slice(xProj, [0, 0], [batch, 2 * units]), tf.slice(hProj, [0, 0], [batch, 2 * units])));
  const z = tf.slice(zr, [0, 0], [batch, units]);
  const r = tf.slice(zr, [0, units], [batch, units]);
  const candidate = tf.tanh(tf.add(tf.slice(xProj, [0, 2 * units], [batch, units]), tf.mul(r, tf.slice(hProj, [0, 2 * units], [batch, units]))));
  // h = z * hPrev + (1 - z) * candidate, written as candidate + z (hPrev - candidate).
  return tf.add(candidate, tf.mul(z, tf.sub(h, candidate)));
}

/** @returns hidden states, time-major and flattened [T * B, U], and the final state. */
function gruSequence(xProj: tf.Tensor3D, recurrentKernel: tf.Tensor2D, recurrentBias: tf.Tensor1D, h0: tf.Tensor2D): { outputs: tf.Tensor2D; h: tf.Tensor2D } {
  const [steps, batch, width] = xProj.shape;
  const xAll = tf.reshape(xProj, [steps * batch, width]) as tf.Tensor2D;
  let h = h0;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < steps; t++) {
    h = cell(tf.slice(xAll, [t * batch, 0], [batch, width]), h, recurrentKernel, recurrentBias);
    hs.push(h);
  }
  return { outputs: tf.concat(hs, 0) as tf.Tensor2D, h };
}

function gruStep(xProj: tf.Tensor2D, recurrentKernel: tf.Tensor2D, recurrentBias: tf.Tensor1D, h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => cell(xProj, h, recurrentKernel, recurrentBias));
}

export const GRU_GRAPH: CellGraph = {
  sequence: (input, w, zeros) => {
    const x =
      input.kind === 'rows' ? input.x : (tf.reshape(gatherRows(input.table, input.ids), [input.steps, input.batch, input.table.shape[1]]) as tf.Tensor3D);
    return gruSequence(x, w.recurrentKernel, w.recurrentBias as tf.Tensor1D, zeros).outputs;
  },
  sequenceWithState: (xProj, w, s) => {
    const out = gruSequence(xProj, w.recurrentKernel, w.recurrentBias as tf.Tensor1D, s.h);
    return { outputs: out.outputs, state: { h: out.h } };
  },
  step: (xProj, w, s) => ({ h: gruStep(xProj, w.recurrentKernel, w.recurrentBias as tf.Tensor1D, s.h) }),
};
