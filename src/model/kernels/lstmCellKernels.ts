/**
 * Registers the LSTM cell (forward and backward of one time step) as tfjs kernels for the
 * backends whose tensors live in JS-visible memory: 'cpu' (JS arrays) and 'wasm' (the wasm heap).
 * Other backends (tfjs-node) use the op-by-op cell in lstm.ts, where per-op overhead is small.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmCellBackward, lstmCellForward } from './lstmCellMath';
import { MemoryAccess, registerForJsBackends } from './memory';

export const LSTM_CELL = 'CharmLstmCell';
export const LSTM_CELL_GRAD = 'CharmLstmCellGrad';

type TensorInfo = tf.TensorInfo;

/** inputs: x [T*B, 4U], hr [B, 4U], c [B, U]; attrs: step. outputs: h, c, gates. */
function cellForward(access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo[] {
  const [x, hr, c] = [inputs.x, inputs.hr, inputs.c] as TensorInfo[];
  const [batch, width] = hr.shape;
  const units = width / 4;
  const { infos, arrays } = access.allocate([[batch, units], [batch, units], [batch, width]]);
  const [hOut, cOut, gatesOut] = arrays;
  lstmCellForward(access.read(x), (attrs.step as number) * batch, access.read(hr), access.read(c), batch, units, gatesOut, cOut, hOut);
  return infos;
}

/** inputs: dy [T*B, U], gates [B, 4U], cPrev, c [B, U], optional dhNext, dcNext; attrs: step. outputs: dz, dcPrev. */
function cellBackward(access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo[] {
  const [dy, gates, cPrev, c] = [inputs.dy, inputs.gates, inputs.cPrev, inputs.c] as TensorInfo[];
  const { dhNext, dcNext } = inputs;
  const [batch, width] = gates.shape;
  const units = width / 4;
  const { infos, arrays } = access.allocate([[batch, width], [batch, units]]);
  const [dz, dcPrev] = arrays;
  lstmCellBackward(
    access.read(dy), (attrs.step as number) * batch,
    dhNext ? access.read(dhNext) : null, dcNext ? access.read(dcNext) : null,
    access.read(gates), access.read(cPrev), access.read(c), batch, units, dz, dcPrev,
  );
  return infos;
}

registerForJsBackends(LSTM_CELL, cellForward);
registerForJsBackends(LSTM_CELL_GRAD, cellBackward);

let kernelsEnabled = true;

/** Switches the fused cell off, so tests and benchmarks can compare it with the op-by-op cell. */
export function setLstmCellKernelsEnabled(enabled: boolean): void {
  kernelsEnabled = enabled;
}

/** True when the active backend runs the fused cell kernels. */
export function hasLstmCellKernels(): boolean {
  return kernelsEnabled && tf.getKernel(LSTM_CELL, tf.getBackend()) !== undefined;
}

/** One forward step: returns [h, c, gates]. */
export function runCellForward(x: tf.Tensor2D, step: number, hr: tf.Tensor2D, c: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return tf.engine().runKernel(LSTM_CELL, { x, hr, c }, { step }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** One backward step: returns [dz, dcPrev]. */
export function runCellBackward(
  dy: tf.Tensor2D, step: number, gates: tf.Tensor2D, cPrev: tf.Tensor2D, c: tf.Tensor2D,
  dhNext: tf.Tensor2D | null, dcNext: tf.Tensor2D | null,
): [tf.Tensor2D, tf.Tensor2D] {
  const inputs: tf.NamedTensorMap = { dy, gates, cPrev, c };
  if (dhNext) inputs.dhNext = dhNext;
  if (dcNext) inputs.dcNext = dcNext;
  return tf.engine().runKernel(LSTM_CELL_GRAD, inputs, { step }) as unknown as [tf.Tensor2D, tf.Tensor2D];
}
