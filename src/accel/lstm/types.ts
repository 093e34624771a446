/** What the fused LSTM sequence gives the model's LSTM layer (src/model/lstm.ts), and how it may run. */
import type * as tf from '@tensorflow/tfjs';
import type { LstmThreads } from '../simd/lstmThreads';

export interface SequenceGradients {
  /** Gradient w.r.t. the step rows [T * B, 4U] (rows input), or w.r.t. the table [V, 4U] (table input). */
  dInput: tf.Tensor2D;
  dR: tf.Tensor2D;
  dh0: tf.Tensor2D;
  dc0: tf.Tensor2D;
}

export interface FusedSequence {
  value: tf.Tensor2D;
  backward: (dy: tf.Tensor2D, saved: tf.Tensor[]) => SequenceGradients;
}

/**
 * Which path the LSTM takes. The defaults are the fastest the active backend has; tests and
 * benchmarks pass others to compare the paths or to inject a failing worker.
 */
export interface FusedLstmOptions {
  /** false: the op-by-op cell even where the fused cell kernel is registered. Default true. */
  fusedCell?: boolean;
  /**
   * The two-thread loop's runner, or false for the one-thread loop. Default: the runner shared by
   * the wasm heap, where the loop can run.
   */
  threads?: LstmThreads | false;
  /** Rows of dz kept at a time for the recurrent kernel's gradient (table input). Default 1536. */
  chunkRows?: number;
}
