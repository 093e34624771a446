/**
 * The LSTM cell's elementwise work, forward and backward, as plain loops over Float32Arrays.
 * Run as one tfjs kernel per time step, it replaces ~15 ops forward and ~30 backward, whose
 * per-op overhead dominated training on the wasm and cpu backends. Gate order i, f, c (g), o.
 */

/**
 * @param x    input projections for all steps [T * B, 4U]; rows xRow .. xRow + B - 1 are this step
 * @param hr   h_{t-1} R [B, 4U]
 * @param cPrev c_{t-1} [B, U]
 * @param gates out: activated gates i, f, g, o [B, 4U]
 */
export function lstmCellForward(
  x: Float32Array, xRow: number, hr: Float32Array, cPrev: Float32Array,
  batch: number, units: number,
  gates: Float32Array, c: Float32Array, h: Float32Array,
): void {
  const width = 4 * units;
  for (let b = 0; b < batch; b++) {
    const zBase = b * width;
    const xBase = (xRow + b) * width;
    const sBase = b * units;
    for (let j = 0; j < units; j++) {
      const i = 1 / (1 + Math.exp(-(x[xBase + j] + hr[zBase + j])));
      const f = 1 / (1 + Math.exp(-(x[xBase + units + j] + hr[zBase + units + j])));
      const g = Math.tanh(x[xBase + 2 * units + j] + hr[zBase + 2 * units + j]);
      const o = 1 / (1 + Math.exp(-(x[xBase + 3 * units + j] + hr[zBase + 3 * units + j])));
      const cNew = f * cPrev[sBase + j] + i * g;
      gates[zBase + j] = i;
      gates[zBase + units + j] = f;
      gates[zBase + 2 * units + j] = g;
      gates[zBase + 3 * units + j] = o;
      c[sBase + j] = cNew;
      h[sBase + j] = o * Math.tanh(cNew);
    }
  }
}

/**
 * @param dy     gradient of the loss w.r.t. every step's output [T * B, U]; rows dyRow .. are this step
 * @param dhNext gradient flowing back into h_t from step t + 1 [B, U], or null at the last step
 * @param dcNext gradient flowing back into c_t from step t + 1 [B, U], or null at the last step
 * @param dz     out: gradient w.r.t. the pre-activations [B, 4U]
 * @param dcPrev out: gradient w.r.t. c_{t-1} [B, U]
 */
export function lstmCellBackward(
  dy: Float32Array, dyRow: number, dhNext: Float32Array | null, dcNext: Float32Array | null,
  gates: Float32Array, cPrev: Float32Array, c: Float32Array,
  batch: number, units: number,
  dz: Float32Array, dcPrev: Float32Array,
): void {
  const width = 4 * units;
  for (let b = 0; b < batch; b++) {
    const zBase = b * width;
    const sBase = b * units;
    const yBase = (dyRow + b) * units;
    for (let j = 0; j < units; j++) {
      const s = sBase + j;
      const i = gates[zBase + j];
      const f = gates[zBase + units + j];
      const g = gates[zBase + 2 * units + j];
      const o = gates[zBase + 3 * units + j];
      const tanhC = Math.tanh(c[s]);
      const dh = dy[yBase + j] + (dhNext ? dhNext[s] : 0);
      const dc = (dcNext ? dcNext[s] : 0) + dh * o * (1 - tanhC * tanhC);
      dz[zBase + j] = dc * g * i * (1 - i);
      dz[zBase + units + j] = dc * cPrev[s] * f * (1 - f);
      dz[zBase + 2 * units + j] = dc * i * (1 - g * g);
      dz[zBase + 3 * units + j] = dh * tanhC * o * (1 - o);
      dcPrev[s] = dc * f;
    }
  }
}
