/**
 * The GRU in Keras' layout with reset_after = true (TF2's default): kernel [in, 3U], recurrent
 * kernel [U, 3U], bias [2, 3U] (input bias, recurrent bias), gates z, r, h. Its tfjs graph
 * (gruGraph.ts) trains through plain autodiff: it is the option, the LSTM is the tuned path.
 */
import { tanh } from '../activations';
import type { GateFunction } from './gates';
import type { CellSpec, CellStep } from './spec';

export const GRU_SPEC: CellSpec = {
  kerasName: 'gru',
  label: 'GRU',
  gates: ['z', 'r', 'h'],
  initialBias: [
    [0, 0, 0],
    [0, 0, 0],
  ],
  hasCellState: false,
  precomputedGates: 3,
  makeStep: gruStep,
};

/** x = x W + b_in and hz = h R + b_rec for gates z, r, h (reset_after); updates h in place. */
function gruStep(gate: GateFunction): CellStep {
  return (x, rec, recurrentBias, _late, hz, h, _c, units) => {
    const width = 3 * units;
    for (let j = 0; j < width; j++) hz[j] = rec[j] + recurrentBias[j];
    for (let j = 0; j < units; j++) {
      const zg = gate(x[j] + hz[j]);
      const r = gate(x[units + j] + hz[units + j]);
      const cand = tanh(x[2 * units + j] + r * hz[2 * units + j]);
      h[j] = cand + zg * (h[j] - cand);
    }
  };
}
