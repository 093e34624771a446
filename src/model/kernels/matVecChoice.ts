/**
 * Which vector x matrix product single-sequence stepping uses, given the tfjs backend in use.
 * One thread each: a single vector gains little from more, and the extension's completion process
 * must not compete with a training process for cores.
 */
import { jsMatVec } from './jsMatVec';
import { tfjsMatVec } from './tfjsMatVec';
import { MatVecFactory, wasmMatVec, wasmSimdAvailable } from './wasmMatVec';

export interface MatVecChoice {
  factory: MatVecFactory;
  /** What computes the products, for reports: 'wasm', 'cpu' or 'tensorflow'. */
  name: string;
  detail: string;
}

export function matVecFor(backendName: string): MatVecChoice {
  // tfjs-node's native matmul beats our kernel; the cpu backend means "no WebAssembly".
  if (backendName === 'tensorflow') return { factory: tfjsMatVec, name: 'tensorflow', detail: 'tfjs matMul on @tensorflow/tfjs-node' };
  if (backendName !== 'cpu' && wasmSimdAvailable()) return { factory: wasmMatVec, name: 'wasm', detail: 'WebAssembly SIMD kernel, one thread' };
  return { factory: jsMatVec, name: 'cpu', detail: 'plain JavaScript, one thread' };
}
