/**
 * What the rest of the model needs to know about a recurrent cell, without tfjs: the weights'
 * shapes and names, their initial bias and the one-step update of StepModel. The tfjs graph of a
 * cell (training and batched evaluation) is its CellGraph (graph.ts), kept apart so that what
 * reads only shapes (config.ts, and through it the extension host) never loads tfjs.
 */

/**
 * One layer's step for one sequence, in place, in plain JavaScript (StepModel's inner loop).
 * @param z x W + b_in [G * U], free to overwrite
 * @param rec h_prev R [G * U], without bias
 * @param recurrentBias the bias' second row [G * U] for two-row biases, else empty
 * @param scratch [G * U], free to overwrite
 * @param h the layer's h [U], updated
 * @param c the layer's c [U], updated; empty for cells without it
 */
export type CellStep = (
  z: Float32Array,
  rec: Float32Array,
  recurrentBias: Float32Array,
  scratch: Float32Array,
  h: Float32Array,
  c: Float32Array,
  units: number,
) => void;

export interface CellSpec {
  /** Keras' layer name: layer 0's weights are `<name>/kernel`, layer 1's `<name>_1/kernel`, ... */
  readonly kerasName: string;
  /** Gate names in Keras' order; kernels have gates.length * U columns. */
  readonly gates: readonly string[];
  /**
   * The bias, one row per entry (1: x W + b; 2: input and recurrent bias), each row one initial
   * value per gate, repeated for every unit of that gate.
   */
  readonly initialBias: readonly (readonly number[])[];
  /** Whether the state carries c beside h. */
  readonly hasCellState: boolean;
  readonly step: CellStep;
}
