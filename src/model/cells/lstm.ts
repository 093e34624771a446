/**
 * The LSTM in Keras' layout: kernel [in, 4U], recurrent kernel [U, 4U], bias [4U], gates i, f, c, o.
 * Its tfjs graph is the fused, tuned sequence of ../lstm.ts with the sigmoid, a plain one with
 * another gate activation (see graphs.ts).
 */
// Table tanh, as in training: at U = 1024, Math.exp/Math.tanh took a fifth of a step.
import { tanh } from '../activations';
import type { GateFunction } from './gates';
import type { CellSpec, CellStep } from './spec';

export const LSTM_SPEC: CellSpec = {
  kerasName: 'lstm',
  label: 'LSTM',
  gates: ['i', 'f', 'c', 'o'],
  // unit_forget_bias: the forget gate starts open, so gradients flow through time early on.
  initialBias: [[0, 1, 0, 0]],
  hasCellState: true,
  precomputedGates: 4,
  makeStep: lstmStep,
};

/** z = x W + b + h R for gates i, f, g, o; updates h and c in place. */
function lstmStep(gate: GateFunction): CellStep {
  return (z, rec, _recurrentBias, _late, _scratch, h, c, units) => {
    const width = 4 * units;
    for (let j = 0; j < width; j++) z[j] += rec[j];
    for (let j = 0; j < units; j++) {
      const i = gate(z[j]);
      const f = gate(z[units + j]);
      const g = tanh(z[2 * units + j]);
      const o = gate(z[3 * units + j]);
      const cNew = f * c[j] + i * g;
      c[j] = cNew;
      h[j] = o * tanh(cNew);
    }
  };
}
