/**
 * Which vector x matrix product single-sequence stepping uses, given the tfjs backend in use.
 * One thread by default: the extension's completion process must not compete with a training
 * process for cores. The CLI's sampler may use two for large matrices, whose products are bound
 * by how fast one core streams the weights.
 */
import * as os from 'node:os';
import { jsMatVec } from './jsMatVec';
import { parallelMatVec, parallelMatVecAvailable } from '../simd/parallelMatVec';
import { tfjsMatVec } from './tfjsMatVec';
import type { MatVecFactory } from './matVec';
import { wasmMatVec, wasmSimdAvailable } from '../simd/wasmMatVec';

export interface MatVecChoice {
  factory: MatVecFactory;
  /** What computes the products, for reports: 'wasm', 'cpu' or 'tensorflow'. */
  name: string;
  detail: string;
}

/** Matrices of at least this many values get two threads (the seed model's is 4.3 M, medium's 1.1 M, small's 0.28 M). */
export const PARALLEL_MIN_VALUES = 1 << 21;

export function matVecFor(backendName: string, options: { twoThreads?: boolean } = {}): MatVecChoice {
  // tfjs-node's native matmul beats our kernel; the cpu backend means "no WebAssembly".
  if (backendName === 'tensorflow') return { factory: tfjsMatVec, name: 'tensorflow', detail: 'tfjs matMul on @tensorflow/tfjs-node' };
  if (backendName !== 'cpu' && wasmSimdAvailable()) {
    if (options.twoThreads && os.availableParallelism() > 1 && parallelMatVecAvailable()) {
      const factory: MatVecFactory = (matrix, rows, cols) =>
        (rows * cols >= PARALLEL_MIN_VALUES && cols >= 8 ? parallelMatVec : wasmMatVec)(matrix, rows, cols);
      return { factory, name: 'wasm', detail: 'WebAssembly SIMD kernel, two threads for large matrices' };
    }
    return { factory: wasmMatVec, name: 'wasm', detail: 'WebAssembly SIMD kernel, one thread' };
  }
  return { factory: jsMatVec, name: 'cpu', detail: 'plain JavaScript, one thread' };
}
