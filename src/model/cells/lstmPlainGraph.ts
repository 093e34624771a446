/**
 * An LSTM graph composed of tfjs ops and trained through plain autodiff, for gate activations the
 * tuned path of ../lstm.ts (written for the sigmoid, its gradient by hand) does not compute: the
 * hard sigmoids of imported models. Same layout and gates (i, f, c, o) as lstm.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { GateOp } from './gateOps';
import type { CellGraph, LayerState } from './graph';
import { sequenceRows } from './sequenceRows';

type State = { h: tf.Tensor2D; c: tf.Tensor2D };

function cell(xProj: tf.Tensor2D, s: State, recurrentKernel: tf.Tensor2D, gate: GateOp): State {
  const z = tf.add(xProj, tf.matMul(s.h, recurrentKernel)) as tf.Tensor2D;
  // One split (its gradient is one concat) and one activation over all four gates' columns (the
  // candidate's are not used): fewer, larger ops than per-gate slices, which the backward pass pays for.
  const [i, f, , o] = tf.split(gate(z), 4, 1);
  const g = tf.tanh(tf.split(z, 4, 1)[2]);
  const c = tf.add(tf.mul(f, s.c), tf.mul(i, g)) as tf.Tensor2D;
  return { h: tf.mul(o, tf.tanh(c)) as tf.Tensor2D, c };
}

function lstmSequence(xProj: tf.Tensor3D, recurrentKernel: tf.Tensor2D, gate: GateOp, s0: State): { outputs: tf.Tensor2D; state: State } {
  // One unstack (its gradient is one stack) rather than a slice per step.
  const xs = tf.unstack(xProj) as tf.Tensor2D[];
  let s = s0;
  const hs: tf.Tensor2D[] = [];
  for (const x of xs) {
    s = cell(x, s, recurrentKernel, gate);
    hs.push(s.h);
  }
  return { outputs: tf.concat(hs, 0) as tf.Tensor2D, state: s };
}

const stateOf = (s: LayerState): State => ({ h: s.h, c: s.c as tf.Tensor2D });

export function lstmPlainGraph(gate: GateOp): CellGraph {
  return {
    sequence: (input, w, zeros) => lstmSequence(sequenceRows(input), w.recurrentKernel, gate, { h: zeros, c: zeros }).outputs,
    sequenceWithState: (xProj, w, s) => tf.tidy(() => lstmSequence(xProj, w.recurrentKernel, gate, stateOf(s))),
    step: (xProj, w, s) => tf.tidy(() => cell(xProj, stateOf(s), w.recurrentKernel, gate)),
  };
}
