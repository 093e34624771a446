/** The LSTM's tfjs graph: the fused sequence and step of ../lstm.ts, unchanged. */
import type * as tf from '@tensorflow/tfjs';
import { lstmSequence, lstmSequenceWithState, lstmStep } from '../lstm';
import type { CellGraph } from './graph';

export const LSTM_GRAPH: CellGraph = {
  sequence: (input, w, zeros) => lstmSequence(input, w.recurrentKernel, zeros, zeros),
  sequenceWithState: (xProj, w, s) => lstmSequenceWithState(xProj, w.recurrentKernel, { h: s.h, c: s.c as tf.Tensor2D }),
  step: (xProj, w, s) => lstmStep(xProj, 0, w.recurrentKernel, { h: s.h, c: s.c as tf.Tensor2D }),
};
