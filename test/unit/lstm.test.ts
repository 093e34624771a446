import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { lstmSequence, lstmSequenceWithState } from '../../src/model/lstm';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('fused LSTM', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('custom gradient matches autodiff through the same ops', () => {
    const [T, B, I, U] = [5, 3, 4, 6];
    const x = tf.randomNormal([T, B, 4 * U], 0, 1, 'float32', 1) as tf.Tensor3D;
    const r = tf.randomNormal([U, 4 * U], 0, 0.5, 'float32', 2) as tf.Tensor2D;
    const h0 = tf.randomNormal([B, U], 0, 0.5, 'float32', 3) as tf.Tensor2D;
    const c0 = tf.randomNormal([B, U], 0, 0.5, 'float32', 4) as tf.Tensor2D;
    const probe = tf.randomNormal([T * B, U], 0, 1, 'float32', 5);
    void I;
    const fused = tf.grads((xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) =>
      tf.sum(tf.mul(lstmSequence(xi as tf.Tensor3D, ri as tf.Tensor2D, hi as tf.Tensor2D, ci as tf.Tensor2D), probe)));
    const plain = tf.grads((xi: tf.Tensor, ri: tf.Tensor, hi: tf.Tensor, ci: tf.Tensor) =>
      tf.sum(tf.mul(lstmSequenceWithState(xi as tf.Tensor3D, ri as tf.Tensor2D, { h: hi as tf.Tensor2D, c: ci as tf.Tensor2D }).outputs, probe)));
    const a = fused([x, r, h0, c0]);
    const b = plain([x, r, h0, c0]);
    assert.equal(a.length, 4);
    for (let k = 0; k < 4; k++) {
      assert.deepEqual(a[k].shape, b[k].shape);
      const scale = tf.tidy(() => tf.max(tf.abs(b[k])).dataSync()[0]);
      assert.ok(scale > 1e-3, `gradient ${k} should not vanish`);
      assert.ok(maxAbsDiff(a[k], b[k]) < 1e-4 * Math.max(1, scale), `gradient ${k} differs by ${maxAbsDiff(a[k], b[k])}`);
    }
  });

  it('forward pass equals tf.layers.lstm given the same weights', () => {
    const [T, B, I, U] = [7, 2, 5, 8];
    // Keras 2 (TF2) uses a true sigmoid; tfjs-layers defaults to the hard sigmoid of old Keras.
    const layer = tf.layers.lstm({ units: U, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [T, I] });
    const xs = tf.randomNormal([B, T, I], 0, 1, 'float32', 11) as tf.Tensor3D;
    const expected = layer.apply(xs) as tf.Tensor3D; // [B, T, U]
    const [kernel, recurrent, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    // Random bias too, so the test covers the gate order of the bias.
    const randomBias = tf.randomNormal(bias.shape, 0, 1, 'float32', 12) as tf.Tensor1D;
    layer.setWeights([kernel, recurrent, randomBias]);
    const expectedWithBias = layer.apply(xs) as tf.Tensor3D;
    const timeMajor = tf.transpose(xs, [1, 0, 2]);
    const proj = tf.reshape(tf.add(tf.matMul(tf.reshape(timeMajor, [T * B, I]), kernel), randomBias), [T, B, 4 * U]) as tf.Tensor3D;
    const zeros = tf.zeros([B, U]) as tf.Tensor2D;
    const ours = lstmSequence(proj, recurrent, zeros, zeros); // [T * B, U]
    const oursBatchMajor = tf.transpose(tf.reshape(ours, [T, B, U]), [1, 0, 2]);
    assert.ok(maxAbsDiff(oursBatchMajor, expected) > 1e-3, 'bias change should change the output');
    assert.ok(maxAbsDiff(oursBatchMajor, expectedWithBias) < 1e-5);
  });
});
