/**
 * Row lookup (an embedding) with its gradient, a scatter-add of rows. On wasm the stock gather
 * took 70-170 ms for 2,048 rows of 512 floats and the cpu backend's UnsortedSegmentSum ~45 s; these
 * loops copy or add whole rows. Other backends use tf.gather and its stock gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { MemoryAccess, activeBackendHas, registerForJsBackends } from './memory';

const GATHER_ROWS = 'CharmGatherRows';
const SCATTER_ADD_ROWS = 'CharmScatterAddRows';

function gatherRowsKernel(access: MemoryAccess, inputs: tf.NamedTensorInfoMap): tf.TensorInfo {
  const table = inputs.table as tf.TensorInfo;
  const ids = inputs.ids as tf.TensorInfo;
  const [rows, width] = table.shape;
  const n = ids.shape[0];
  const { infos, arrays } = access.allocate([[n, width]]);
  const out = arrays[0];
  const src = access.read(table);
  const idx = access.readInt(ids);
  for (let k = 0; k < n; k++) {
    const id = idx[k];
    if (id < 0 || id >= rows) throw new Error(`Row id ${id} is outside [0, ${rows})`);
    out.set(src.subarray(id * width, (id + 1) * width), k * width);
  }
  return infos[0];
}

/** inputs: values [N, W], ids [N]; attrs: rows. Output [rows, W], row r = sum of values whose id is r. */
function scatterAddRowsKernel(access: MemoryAccess, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const values = inputs.values as tf.TensorInfo;
  const ids = inputs.ids as tf.TensorInfo;
  const rows = attrs.rows as number;
  const [n, width] = values.shape;
  const { infos, arrays } = access.allocate([[rows, width]]);
  const out = arrays[0];
  out.fill(0);
  const src = access.read(values);
  const idx = access.readInt(ids);
  for (let k = 0; k < n; k++) {
    const base = idx[k] * width;
    const from = k * width;
    for (let j = 0; j < width; j++) out[base + j] += src[from + j];
  }
  return infos[0];
}

registerForJsBackends(GATHER_ROWS, gatherRowsKernel);
registerForJsBackends(SCATTER_ADD_ROWS, scatterAddRowsKernel);

/** values [N, W], ids [N] int32 -> [rows, W]: row r is the sum of the values whose id is r. */
function scatterAddRows(values: tf.Tensor2D, ids: tf.Tensor1D, rows: number): tf.Tensor2D {
  if (!activeBackendHas(SCATTER_ADD_ROWS)) return tf.unsortedSegmentSum(values, ids, rows) as tf.Tensor2D;
  return tf.engine().runKernel(SCATTER_ADD_ROWS, { values, ids }, { rows }) as tf.Tensor2D;
}

/** table [V, W], ids [N] int32 -> [N, W], differentiable w.r.t. the table. */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (!activeBackendHas(GATHER_ROWS)) return tf.gather(table, ids) as tf.Tensor2D;
  const lookup = tf.customGrad((...args: unknown[]) => {
    const [t, i] = args as [tf.Tensor2D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    save([i]);
    const value = tf.engine().runKernel(GATHER_ROWS, { table: t, ids: i }, {}) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [scatterAddRows(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, t.shape[0]), tf.zerosLike(saved[0])],
    };
  });
  return lookup(table, ids) as tf.Tensor2D;
}
