/**
 * What the rest of the model needs to know about a recurrent cell, without tfjs: the weights'
 * shapes and names, their initial bias and the one-step update of StepModel. The tfjs graph of a
 * cell (training and batched evaluation) is its CellGraph (graph.ts), kept apart so that what
 * reads only shapes (config.ts, and through it the extension host) never loads tfjs.
 */
import type { MatVec } from '../../accel';
import type { GateFunction } from './gates';

/**
 * One layer's step for one sequence, in place, in plain JavaScript (StepModel's inner loop).
 * @param z x W + b_in [G * U], free to overwrite
 * @param rec h_prev R [P * U] for the spec's first P = precomputedGates gates, without bias
 * @param recurrentBias the bias' second row [G * U] for two-row biases, else empty
 * @param late v x R's remaining columns, for the gates whose recurrent term needs this step's
 *   values first (the GRU with reset_after = false: (r ⊙ h) R_h); null when P = G
 * @param scratch [G * U], free to overwrite
 * @param h the layer's h [U], updated
 * @param c the layer's c [U], updated; empty for cells without it
 */
export type CellStep = (
  z: Float32Array,
  rec: Float32Array,
  recurrentBias: Float32Array,
  late: MatVec | null,
  scratch: Float32Array,
  h: Float32Array,
  c: Float32Array,
  units: number,
) => void;

export interface CellSpec {
  /** Keras' layer name: layer 0's weights are `<name>/kernel`, layer 1's `<name>_1/kernel`, ... */
  readonly kerasName: string;
  /** How `charm info` and the model view name it: "GRU". */
  readonly label: string;
  /** What tells it from a cell of the same label, if any: "reset_after=false". */
  readonly variant?: string;
  /** Gate names in Keras' order; kernels have gates.length * U columns. */
  readonly gates: readonly string[];
  /**
   * The bias, one row per entry (1: x W + b; 2: input and recurrent bias), each row one initial
   * value per gate, repeated for every unit of that gate.
   */
  readonly initialBias: readonly (readonly number[])[];
  /** Whether the state carries c beside h. */
  readonly hasCellState: boolean;
  /**
   * Leading gates whose recurrent term h_prev R StepModel computes ahead, fused with the next
   * layer's product; the step computes the others' itself (`late`).
   */
  readonly precomputedGates: number;
  /** The step with the given gate activation (Keras' recurrent_activation). */
  readonly makeStep: (gate: GateFunction) => CellStep;
}
