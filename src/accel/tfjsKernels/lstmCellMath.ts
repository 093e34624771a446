/**
 * The LSTM cell's elementwise work, forward and backward, as plain loops over Float32Arrays.
 * Run as one tfjs kernel per time step, it replaces ~15 ops forward and ~30 backward, whose
 * per-op overhead dominated training on the wasm and cpu backends. Gate order i, f, c (g), o.
 */
import { sigmoid, tanh } from '../../model/activations';

/** Where a step's input projections come from. */
export interface StepInput {
  /** Rows of x W + b: either every step's rows ([T * B, 4U]) or, with `ids`, a table [V, 4U]. */
  x: Float32Array;
  /** With a table: the symbol of each sequence at each step, time-major [T * B]. */
  ids: Int32Array | null;
  step: number;
}

/**
 * @param hr    h_{t-1} R [B, 4U]
 * @param cPrev c_{t-1} [B, U]
 * @param gates out: activated gates i, f, g, o [B, 4U]
 * @param hAll  optional out: also writes h_t into rows step * B .. of this [T * B, U] buffer
 */
export function lstmCellForward(
  input: StepInput,
  hr: Float32Array,
  cPrev: Float32Array,
  batch: number,
  units: number,
  gates: Float32Array,
  c: Float32Array,
  h: Float32Array,
  hAll: Float32Array | null,
): void {
  const width = 4 * units;
  const { x, ids, step } = input;
  for (let b = 0; b < batch; b++) {
    const zBase = b * width;
    const row = ids ? ids[step * batch + b] : step * batch + b;
    const xBase = row * width;
    const sBase = b * units;
    const allBase = (step * batch + b) * units;
    for (let j = 0; j < units; j++) {
      const i = sigmoid(x[xBase + j] + hr[zBase + j]);
      const f = sigmoid(x[xBase + units + j] + hr[zBase + units + j]);
      const g = tanh(x[xBase + 2 * units + j] + hr[zBase + 2 * units + j]);
      const o = sigmoid(x[xBase + 3 * units + j] + hr[zBase + 3 * units + j]);
      const cNew = f * cPrev[sBase + j] + i * g;
      const hNew = o * tanh(cNew);
      gates[zBase + j] = i;
      gates[zBase + units + j] = f;
      gates[zBase + 2 * units + j] = g;
      gates[zBase + 3 * units + j] = o;
      c[sBase + j] = cNew;
      h[sBase + j] = hNew;
      if (hAll) hAll[allBase + j] = hNew;
    }
  }
}

/**
 * @param dy     gradient of the loss w.r.t. every step's output [T * B, U]; rows step * B .. are this step
 * @param dhNext gradient flowing back into h_t from step t + 1 [B, U], or null at the last step
 * @param dcNext gradient flowing back into c_t from step t + 1 [B, U], or null at the last step
 * @param dz     out: gradient w.r.t. the pre-activations [B, 4U]
 * @param dcPrev out: gradient w.r.t. c_{t-1} [B, U]
 * @param copy   optional out: also writes dz into rows copy.row * B .. of copy.buffer
 * @param scatter optional out: also adds each sequence's dz into the table row of its symbol
 *   (ids time-major [T * B]): the gradient of a per-symbol input table
 */
export function lstmCellBackward(
  dy: Float32Array,
  step: number,
  dhNext: Float32Array | null,
  dcNext: Float32Array | null,
  gates: Float32Array,
  cPrev: Float32Array,
  c: Float32Array,
  batch: number,
  units: number,
  dz: Float32Array,
  dcPrev: Float32Array,
  copy: { buffer: Float32Array; row: number } | null,
  scatter: { table: Float32Array; ids: Int32Array } | null,
): void {
  const width = 4 * units;
  for (let b = 0; b < batch; b++) {
    const zBase = b * width;
    const sBase = b * units;
    const yBase = (step * batch + b) * units;
    for (let j = 0; j < units; j++) {
      const s = sBase + j;
      const i = gates[zBase + j];
      const f = gates[zBase + units + j];
      const g = gates[zBase + 2 * units + j];
      const o = gates[zBase + 3 * units + j];
      const tanhC = tanh(c[s]);
      const dh = dy[yBase + j] + (dhNext ? dhNext[s] : 0);
      const dc = (dcNext ? dcNext[s] : 0) + dh * o * (1 - tanhC * tanhC);
      dz[zBase + j] = dc * g * i * (1 - i);
      dz[zBase + units + j] = dc * cPrev[s] * f * (1 - f);
      dz[zBase + 2 * units + j] = dc * i * (1 - g * g);
      dz[zBase + 3 * units + j] = dh * tanhC * o * (1 - o);
      dcPrev[s] = dc * f;
    }
  }
  if (copy) copy.buffer.set(dz, copy.row * batch * width);
  if (scatter) {
    for (let b = 0; b < batch; b++) {
      const target = scatter.ids[step * batch + b] * width;
      const source = b * width;
      for (let j = 0; j < width; j++) scatter.table[target + j] += dz[source + j];
    }
  }
}
