/**
 * The gates' activation ("recurrent_activation" in Keras): the LSTM's i, f, o and the GRU's z, r.
 * Charm trains with the sigmoid; models imported from Keras 2 or tfjs-layers often use the hard
 * sigmoid, whose slope Keras 3 changed. Plain JavaScript, no tfjs (the tfjs side is gateOps.ts).
 */
import { CharmError } from '../../errors';
import { sigmoid } from '../activations';

const RECURRENT_ACTIVATIONS = ['sigmoid', 'hard_sigmoid', 'hard_sigmoid_keras3'] as const;

export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];

/** clip(slope x + 0.5, 0, 1): Keras 2 and tfjs-layers use 0.2, Keras 3 (relu6(x + 3) / 6) 1/6. */
export const HARD_SIGMOID_SLOPE: Readonly<Record<Exclude<RecurrentActivation, 'sigmoid'>, number>> = { hard_sigmoid: 0.2, hard_sigmoid_keras3: 1 / 6 };

export type GateFunction = (x: number) => number;

/** A config's gate activation (absent: the sigmoid); anything else is a one-line error (a config.json). */
export function recurrentActivationOf(config: { recurrentActivation?: string }): RecurrentActivation {
  const name = config.recurrentActivation ?? 'sigmoid';
  if (!(RECURRENT_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new CharmError(`Unknown recurrent activation "${String(name)}": expected ${RECURRENT_ACTIVATIONS.join(', ')}`);
  }
  return name as RecurrentActivation;
}

function hardSigmoid(slope: number): GateFunction {
  return (x) => {
    const y = slope * x + 0.5;
    // NaN falls through both tests and stays visible to the loss guard.
    return y <= 0 ? 0 : y >= 1 ? 1 : y;
  };
}

/** The gate function StepModel's cell steps call. */
export function gateFunction(activation: RecurrentActivation): GateFunction {
  return activation === 'sigmoid' ? sigmoid : hardSigmoid(HARD_SIGMOID_SLOPE[activation]);
}
