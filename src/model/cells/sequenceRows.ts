/** The per-step input projections of a sequence, materialised, for the graphs composed of tfjs ops. */
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../../accel';
import type { SequenceInput } from './graph';

/** x W + b per step, time-major [T, B, G * U]. */
export function sequenceRows(input: SequenceInput): tf.Tensor3D {
  return input.kind === 'rows' ? input.x : (tf.reshape(gatherRows(input.table, input.ids), [input.steps, input.batch, input.table.shape[1]]) as tf.Tensor3D);
}
