/**
 * The GRU in Keras' layout with reset_after = false (Keras 1 and early Keras 2, tfjs-layers' only
 * GRU): kernel [in, 3U], recurrent kernel [U, 3U], bias [3U] (one row), gates z, r, h:
 *   z = σ(x Wz + bz + h Rz), r = σ(x Wr + br + h Rr), h~ = tanh(x Wh + bh + (r ⊙ h) Rh),
 *   h' = z ⊙ h + (1 - z) ⊙ h~.
 * The candidate's recurrent term needs r first, so StepModel precomputes only z's and r's h R and
 * the step multiplies (r ⊙ h) by R_h itself. Keras names its weights like the other GRU's.
 */
import type { MatVec } from '../../accel';
import { tanh } from '../activations';
import type { GateFunction } from './gates';
import type { CellSpec, CellStep } from './spec';

export const GRU_RESET_BEFORE_SPEC: CellSpec = {
  kerasName: 'gru',
  label: 'GRU',
  variant: 'reset_after=false',
  gates: ['z', 'r', 'h'],
  initialBias: [[0, 0, 0]],
  hasCellState: false,
  precomputedGates: 2,
  makeStep: gruResetBeforeStep,
};

/** x = x W + b [3U], rec = h Rzr [2U]; scratch keeps z, then r ⊙ h; updates h in place. */
function gruResetBeforeStep(gate: GateFunction): CellStep {
  return (x, rec, _recurrentBias, late, scratch, h, _c, units) => {
    const resetH = scratch.subarray(units, 2 * units);
    for (let j = 0; j < units; j++) {
      scratch[j] = gate(x[j] + rec[j]);
      resetH[j] = gate(x[units + j] + rec[units + j]) * h[j];
    }
    // StepModel gives the cells it does not fully precompute their late product.
    const candidateRec = (late as MatVec).multiply(resetH);
    for (let j = 0; j < units; j++) {
      const cand = tanh(x[2 * units + j] + candidateRec[j]);
      h[j] = cand + scratch[j] * (h[j] - cand);
    }
  };
}
