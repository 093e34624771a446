/**
 * Registers the LSTM cell (forward and backward of one time step) as tfjs kernels for the
 * backends whose tensors live in JS-visible memory: 'cpu' (JS arrays) and 'wasm' (the wasm heap).
 * Other backends (tfjs-node) use the op-by-op cell in src/model/lstm.ts, where per-op overhead is small.
 */
import * as tf from '@tensorflow/tfjs';
import { lstmCellBackward, lstmCellForward } from './lstmCellMath';
import { MemoryAccess, registerForJsBackends } from './memory';

const LSTM_CELL = 'CharmLstmCell';
const LSTM_CELL_GRAD = 'CharmLstmCellGrad';

type TensorInfo = tf.TensorInfo;

/**
 * inputs: x (step rows [T*B, 4U], or a table [V, 4U] with ids [T*B]), hr [B, 4U], c [B, U], and
 * optionally hAll [T*B, U], written in place (a buffer the caller owns; it saves concatenating
 * per-step outputs). attrs: step. outputs: h, c, gates.
 */
function cellForward(access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo[] {
  const [x, hr, c] = [inputs.x, inputs.hr, inputs.c] as TensorInfo[];
  const [batch, width] = hr.shape;
  const units = width / 4;
  const { infos, arrays } = access.allocate([
    [batch, units],
    [batch, units],
    [batch, width],
  ]);
  const [hOut, cOut, gatesOut] = arrays;
  const step = attrs.step as number;
  lstmCellForward(
    { x: access.read(x), ids: inputs.ids ? access.readInt(inputs.ids) : null, step },
    access.read(hr),
    access.read(c),
    batch,
    units,
    gatesOut,
    cOut,
    hOut,
    inputs.hAll ? access.read(inputs.hAll) : null,
  );
  return infos;
}

/**
 * inputs: dy [T*B, U], gates [B, 4U], cPrev, c [B, U], optional dhNext, dcNext [B, U]; optional
 * in-place outputs: dzCopy (dz written at rows attrs.copyRow * B ..), and dTable with ids (dz added
 * into each symbol's row). attrs: step, copyRow. outputs: dz, dcPrev.
 */
function cellBackward(access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): TensorInfo[] {
  const [dy, gates, cPrev, c] = [inputs.dy, inputs.gates, inputs.cPrev, inputs.c] as TensorInfo[];
  const { dhNext, dcNext, dzCopy, dTable, ids } = inputs;
  const [batch, width] = gates.shape;
  const units = width / 4;
  const { infos, arrays } = access.allocate([
    [batch, width],
    [batch, units],
  ]);
  const [dz, dcPrev] = arrays;
  lstmCellBackward(
    access.read(dy),
    attrs.step as number,
    dhNext ? access.read(dhNext) : null,
    dcNext ? access.read(dcNext) : null,
    access.read(gates),
    access.read(cPrev),
    access.read(c),
    batch,
    units,
    dz,
    dcPrev,
    dzCopy ? { buffer: access.read(dzCopy), row: attrs.copyRow as number } : null,
    dTable && ids ? { table: access.read(dTable), ids: access.readInt(ids) } : null,
  );
  return infos;
}

registerForJsBackends(LSTM_CELL, cellForward);
registerForJsBackends(LSTM_CELL_GRAD, cellBackward);

/** True when the active backend runs the fused cell kernels. */
export function hasLstmCellKernels(): boolean {
  return tf.getKernel(LSTM_CELL, tf.getBackend()) !== undefined;
}

export interface CellForwardArgs {
  /** Step rows [T*B, 4U], or with `ids` a table [V, 4U]. */
  x: tf.Tensor2D;
  ids?: tf.Tensor1D;
  step: number;
  hr: tf.Tensor2D;
  c: tf.Tensor2D;
  /** A [T*B, U] buffer this call writes h into, in place. */
  hAll?: tf.Tensor2D;
}

/** One forward step: returns [h, c, gates]. */
export function runCellForward(a: CellForwardArgs): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const inputs: tf.NamedTensorMap = { x: a.x, hr: a.hr, c: a.c };
  if (a.ids) inputs.ids = a.ids;
  if (a.hAll) inputs.hAll = a.hAll;
  return tf.engine().runKernel(LSTM_CELL, inputs, { step: a.step }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

export interface CellBackwardArgs {
  dy: tf.Tensor2D;
  step: number;
  gates: tf.Tensor2D;
  cPrev: tf.Tensor2D;
  c: tf.Tensor2D;
  dhNext: tf.Tensor2D | null;
  dcNext: tf.Tensor2D | null;
  /** dz is also written, in place, at rows copyRow * B .. of this buffer. */
  dzCopy?: { buffer: tf.Tensor2D; row: number };
  /** dz is also added, in place, into the rows of this table given by ids[step * B + b]. */
  dTable?: { table: tf.Tensor2D; ids: tf.Tensor1D };
}

/** One backward step: returns [dz, dcPrev]. */
export function runCellBackward(a: CellBackwardArgs): [tf.Tensor2D, tf.Tensor2D] {
  const inputs: tf.NamedTensorMap = { dy: a.dy, gates: a.gates, cPrev: a.cPrev, c: a.c };
  if (a.dhNext) inputs.dhNext = a.dhNext;
  if (a.dcNext) inputs.dcNext = a.dcNext;
  if (a.dzCopy) inputs.dzCopy = a.dzCopy.buffer;
  if (a.dTable) {
    inputs.dTable = a.dTable.table;
    inputs.ids = a.dTable.ids;
  }
  return tf.engine().runKernel(LSTM_CELL_GRAD, inputs, { step: a.step, copyRow: a.dzCopy?.row ?? 0 }) as unknown as [tf.Tensor2D, tf.Tensor2D];
}
