/** The gates' activation as a tfjs op (the plain-JavaScript one is gates.ts'), differentiable. */
import * as tf from '@tensorflow/tfjs';
import { HARD_SIGMOID_SLOPE, RecurrentActivation } from './gates';

export type GateOp = (x: tf.Tensor2D) => tf.Tensor2D;

export function gateOp(activation: RecurrentActivation): GateOp {
  if (activation === 'sigmoid') return (x) => tf.sigmoid(x);
  const slope = HARD_SIGMOID_SLOPE[activation];
  // clipByValue's gradient is 0 outside [0, 1], as Keras' hard sigmoid's is.
  return (x) => tf.clipByValue(tf.add(tf.mul(x, slope), 0.5), 0, 1) as tf.Tensor2D;
}
