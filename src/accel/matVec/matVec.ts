/** The vector x matrix product single-sequence stepping is built on, whatever computes it. */

/** out = v x M for a fixed matrix M [rows, cols]. */
export interface MatVec {
  readonly rows: number;
  readonly cols: number;
  /** `v` has `rows` values; the result has `cols` values and is valid until the next call. */
  multiply(v: Float32Array): Float32Array;
  dispose(): void;
}

export type MatVecFactory = (matrix: Float32Array, rows: number, cols: number) => MatVec;
