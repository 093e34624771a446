/**
 * Vector x matrix products, the only heavy work of a single-sequence step. Two implementations of
 * one interface: plain JavaScript (no backend at all) and tfjs (tfjsMatVec.ts: the wasm backend's
 * XNNPACK SIMD kernels, ~7x faster for a 256 x 1024 matrix on the dev machine).
 */

import type { MatVecFactory } from '../../model/kernels/wasmMatVec';

// The interface is the engine's (src/model/kernels/wasmMatVec.ts); re-exported for this folder.
export type { MatVec, MatVecFactory } from '../../model/kernels/wasmMatVec';

/**
 * Plain JavaScript: the matrix is stored transposed so each output is one contiguous dot product
 * kept in a register (about twice as fast in V8 as accumulating rows into the output).
 */
export const jsMatVec: MatVecFactory = (matrix, rows, cols) => {
  if (matrix.length !== rows * cols) throw new Error(`matrix has ${matrix.length} values, expected ${rows * cols}`);
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = matrix[r * cols + c];
  const out = new Float32Array(cols);
  return {
    rows,
    cols,
    multiply(v: Float32Array): Float32Array {
      for (let c = 0; c < cols; c++) {
        const base = c * rows;
        let s = 0;
        for (let r = 0; r < rows; r++) s += v[r] * t[base + r];
        out[c] = s;
      }
      return out;
    },
    dispose() {
      // nothing held outside the JS heap
    },
  };
};
