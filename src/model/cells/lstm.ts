/**
 * The LSTM in Keras' layout: kernel [in, 4U], recurrent kernel [U, 4U], bias [4U], gates i, f, c, o.
 * Its tfjs graph is the fused, tuned sequence of ../lstm.ts (see lstmGraph.ts).
 */
// Table sigmoid/tanh, as in training: at U = 1024, Math.exp/Math.tanh took a fifth of a step.
import { sigmoid, tanh } from '../activations';
import type { CellSpec } from './spec';

export const LSTM_SPEC: CellSpec = {
  kerasName: 'lstm',
  gates: ['i', 'f', 'c', 'o'],
  // unit_forget_bias: the forget gate starts open, so gradients flow through time early on.
  initialBias: [[0, 1, 0, 0]],
  hasCellState: true,
  step: lstmStep,
};

/** z = x W + b + h R for gates i, f, g, o; updates h and c in place. */
function lstmStep(
  z: Float32Array,
  rec: Float32Array,
  _recurrentBias: Float32Array,
  _scratch: Float32Array,
  h: Float32Array,
  c: Float32Array,
  units: number,
): void {
  const width = 4 * units;
  for (let j = 0; j < width; j++) z[j] += rec[j];
  for (let j = 0; j < units; j++) {
    const i = sigmoid(z[j]);
    const f = sigmoid(z[units + j]);
    const g = tanh(z[2 * units + j]);
    const o = sigmoid(z[3 * units + j]);
    const cNew = f * c[j] + i * g;
    c[j] = cNew;
    h[j] = o * tanh(cNew);
  }
}
