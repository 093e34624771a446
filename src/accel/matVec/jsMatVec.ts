/**
 * Vector x matrix products in plain JavaScript: the fallback where WebAssembly SIMD is missing.
 */
import type { MatVecFactory } from './matVec';

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
