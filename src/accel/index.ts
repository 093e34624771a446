/**
 * The speed-up code's one entry: the product code outside src/accel imports it only from here (eslint's
 * no-restricted-imports keeps it so). Behind it: the tfjs backend set-up (with the threaded-SIMD
 * build of tfjs-backend-wasm and fixes to its kernels), the fused LSTM sequence and cell kernels,
 * row lookups, and the vector x matrix products of single-sequence stepping. See README, "What
 * src/accel costs and buys".
 */
export { type BackendChoice, type BackendInfo, currentBackend, initBackend } from './backend';
export { fusedSequence } from './lstm/fusedSequence';
export type { FusedLstmOptions } from './lstm/types';
export { hasLstmCellKernels, runCellForward } from './tfjsKernels/lstmCell';
export { gatherRows } from './tfjsKernels/rows';
export { matVecFor } from './matVec/choice';
export type { MatVec, MatVecFactory } from './matVec/matVec';
