/**
 * MatVec on the active tfjs backend: the matrix stays a tensor; each product is one matMul op.
 * Per call it costs a small copy in and out of the backend, which is what single steps need.
 */
import * as tf from '@tensorflow/tfjs';
import type { MatVec, MatVecFactory } from './matVec';

export const tfjsMatVec: MatVecFactory = (matrix, rows, cols): MatVec => {
  const m = tf.tensor2d(matrix, [rows, cols], 'float32');
  return {
    rows,
    cols,
    multiply(v: Float32Array): Float32Array {
      const x = tf.tensor2d(v, [1, rows], 'float32');
      const y = tf.matMul(x, m);
      const out = y.dataSync() as Float32Array;
      x.dispose();
      y.dispose();
      return out;
    },
    dispose() {
      m.dispose();
    },
  };
};
