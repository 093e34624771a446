/**
 * The GRU in Keras' layout with reset_after = true (TF2's default): kernel [in, 3U], recurrent
 * kernel [U, 3U], bias [2, 3U] (input bias, recurrent bias), gates z, r, h. Its tfjs graph
 * (gruGraph.ts) trains through plain autodiff: it is the option, the LSTM is the tuned path.
 */
import { sigmoid, tanh } from '../activations';
import type { CellSpec } from './spec';

export const GRU_SPEC: CellSpec = {
  kerasName: 'gru',
  gates: ['z', 'r', 'h'],
  initialBias: [
    [0, 0, 0],
    [0, 0, 0],
  ],
  hasCellState: false,
  step: gruStep,
};

/** x = x W + b_in and hz = h R + b_rec for gates z, r, h (reset_after); updates h in place. */
function gruStep(x: Float32Array, rec: Float32Array, recurrentBias: Float32Array, hz: Float32Array, h: Float32Array, _c: Float32Array, units: number): void {
  const width = 3 * units;
  for (let j = 0; j < width; j++) hz[j] = rec[j] + recurrentBias[j];
  for (let j = 0; j < units; j++) {
    const zg = sigmoid(x[j] + hz[j]);
    const r = sigmoid(x[units + j] + hz[units + j]);
    const cand = tanh(x[2 * units + j] + r * hz[2 * units + j]);
    h[j] = cand + zg * (h[j] - cand);
  }
}
