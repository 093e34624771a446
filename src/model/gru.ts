/**
 * A GRU in Keras' layout with reset_after = true (TF2's default): kernel [in, 3U], recurrent kernel
 * [U, 3U], bias [2, 3U] (input bias, recurrent bias), gates z, r, h. It trains through plain
 * autodiff: it is the option, the LSTM is the tuned path.
 */
import * as tf from '@tensorflow/tfjs';

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
export function gruSequence(
  xProj: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  recurrentBias: tf.Tensor1D,
  h0: tf.Tensor2D,
): { outputs: tf.Tensor2D; h: tf.Tensor2D } {
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

export function gruStep(xProj: tf.Tensor2D, recurrentKernel: tf.Tensor2D, recurrentBias: tf.Tensor1D, h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => cell(xProj, h, recurrentKernel, recurrentBias));
}
