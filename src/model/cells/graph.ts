/** The tfjs side of a recurrent cell: what CharModel runs per layer (training, batched evaluation). */
import type * as tf from '@tensorflow/tfjs';
import type { SequenceInput } from '../lstm';

export type { SequenceInput } from '../lstm';

/** Per layer: h, and c for cells that carry it. Batch-major [B, U]. */
// A type alias, not an interface, so tf.tidy accepts it as a TensorContainer.
export type LayerState = {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
};

export interface LayerWeights {
  /** [U, G * U] */
  recurrentKernel: tf.Tensor2D;
  /** The bias' second row [G * U] for two-row biases (GRU reset_after), else null. */
  recurrentBias: tf.Tensor1D | null;
}

export interface CellGraph {
  /**
   * Training: the whole sequence from a zero state, with gradients.
   * @param input x W + b_in per step [T, B, G * U], or per symbol with the time-major ids
   * @returns hidden states, time-major and flattened [T * B, U]
   */
  sequence(input: SequenceInput, weights: LayerWeights, zeros: tf.Tensor2D): tf.Tensor2D;
  /** Forward only from a state: the outputs [T * B, U] and the state after the last step. */
  sequenceWithState(xProj: tf.Tensor3D, weights: LayerWeights, state: LayerState): { outputs: tf.Tensor2D; state: LayerState };
  /** One step without gradients: x W + b_in [B, G * U]. */
  step(xProj: tf.Tensor2D, weights: LayerWeights, state: LayerState): LayerState;
}
