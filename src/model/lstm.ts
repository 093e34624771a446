/**
 * A fused LSTM in Keras' weight layout (kernel [in, 4U], recurrent kernel [U, 4U], bias [4U],
 * gates i, f, c, o).
 *
 * The caller computes the input projection x W + b for every time step at once; each step then
 * does one recurrent matmul and one cell update. The backward pass is written out by hand
 * (tf.customGrad): one cell-gradient and one matmul per step, and the recurrent kernel's gradient
 * as one large matmul over all steps. On cpu and wasm the cell update is a single kernel and the
 * sequence is src/accel's fused one (on the threaded wasm build its whole time loop, forward and
 * backward, runs on two threads); elsewhere (tfjs-node) the cell is composed of tfjs ops.
 */
import * as tf from '@tensorflow/tfjs';
import { FusedLstmOptions, fusedSequence, gatherRows, hasLstmCellKernels, runCellForward } from '../accel';

// A type alias so tf.tidy accepts it as a TensorContainer.
export type LstmState = {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
};

interface StepOutputs {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
  /** Activated gates i, f, g, o [B, 4U], kept for the backward pass. */
  gates: tf.Tensor2D;
}

/** One cell update from op-by-op tfjs calls: the path for backends without the fused kernel. */
function stepForwardOps(xAll: tf.Tensor2D, step: number, hr: tf.Tensor2D, cPrev: tf.Tensor2D): StepOutputs {
  const [batch, width] = hr.shape;
  const units = width / 4;
  const z = tf.add(tf.slice(xAll, [step * batch, 0], [batch, width]), hr);
  const s = tf.sigmoid(z);
  const i = tf.slice(s, [0, 0], [batch, units]);
  const f = tf.slice(s, [0, units], [batch, units]);
  const o = tf.slice(s, [0, 3 * units], [batch, units]);
  const g = tf.tanh(tf.slice(z, [0, 2 * units], [batch, units]));
  const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
  const h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
  return { h, c, gates: tf.concat([i, f, g, o], 1) as tf.Tensor2D };
}

function stepBackwardOps(
  dyAll: tf.Tensor2D,
  step: number,
  gates: tf.Tensor2D,
  cPrev: tf.Tensor2D,
  c: tf.Tensor2D,
  dhNext: tf.Tensor2D | null,
  dcNext: tf.Tensor2D | null,
): [tf.Tensor2D, tf.Tensor2D] {
  const [batch, units] = c.shape;
  const [i, f, g, o] = tf.split(gates, 4, 1) as tf.Tensor2D[];
  const tanhC = tf.tanh(c);
  const dyT = tf.slice(dyAll, [step * batch, 0], [batch, units]);
  const dh = dhNext ? tf.add(dyT, dhNext) : dyT;
  // d tanh(x) = 1 - tanh(x)^2; d sigmoid(x) = s (1 - s)
  const dcFromH = tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tanhC)));
  const dc = dcNext ? tf.add(dcFromH, dcNext) : dcFromH;
  const di = tf.mul(tf.mul(dc, g), tf.mul(i, tf.sub(1, i)));
  const df = tf.mul(tf.mul(dc, cPrev), tf.mul(f, tf.sub(1, f)));
  const dg = tf.mul(tf.mul(dc, i), tf.sub(1, tf.square(g)));
  const dO = tf.mul(tf.mul(dh, tanhC), tf.mul(o, tf.sub(1, o)));
  return [tf.concat([di, df, dg, dO], 1) as tf.Tensor2D, tf.mul(dc, f) as tf.Tensor2D];
}

function stepForward(xAll: tf.Tensor2D, step: number, h: tf.Tensor2D, c: tf.Tensor2D, recurrentKernel: tf.Tensor2D, fused: boolean): StepOutputs {
  const hr = tf.matMul(h, recurrentKernel) as tf.Tensor2D;
  if (!fused) return stepForwardOps(xAll, step, hr, c);
  const [hNew, cNew, gates] = runCellForward({ x: xAll, step, hr, c });
  return { h: hNew, c: cNew, gates };
}

/**
 * One step without gradients: the sampler's inner loop.
 * @param xAll input projections (x W + b) with the step's rows starting at row * B; the sampler
 *   passes the whole Embedding x kernel table and the character's id as the row
 */
export function lstmStep(xAll: tf.Tensor2D, row: number, recurrentKernel: tf.Tensor2D, state: LstmState): LstmState {
  return tf.tidy(() => {
    const out = stepForward(xAll, row, state.h, state.c, recurrentKernel, hasLstmCellKernels());
    return { h: out.h, c: out.c };
  });
}

/** A sequence's input projections: per-step rows, or (first layer) a per-symbol table and the ids. */
export type SequenceInput = { kind: 'rows'; x: tf.Tensor3D } | { kind: 'table'; table: tf.Tensor2D; ids: tf.Tensor1D; steps: number; batch: number };

/**
 * Runs the LSTM over a whole sequence.
 * @param input x W + b per step, time-major [T, B, 4U]; or a table [V, 4U] of it per symbol and the
 *   time-major ids [T * B] (then the [T * B, 4U] projections are never materialised)
 * @returns hidden states, time-major and flattened: [T * B, U]
 */
export function lstmSequence(
  input: SequenceInput,
  recurrentKernel: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  options: FusedLstmOptions = {},
): tf.Tensor2D {
  if (options.fusedCell === false || !hasLstmCellKernels()) {
    const x =
      input.kind === 'rows' ? input.x : (tf.reshape(gatherRows(input.table, input.ids), [input.steps, input.batch, input.table.shape[1]]) as tf.Tensor3D);
    return lstmSequenceOps(x, recurrentKernel, h0, c0);
  }
  if (input.kind === 'rows') {
    const [steps, batch, width] = input.x.shape;
    const fused = tf.customGrad((...args: unknown[]) => {
      const [x, r, hInit, cInit] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const rows = tf.reshape(x, [steps * batch, width]) as tf.Tensor2D;
      const { value, backward } = fusedSequence(rows, null, r, hInit, cInit, steps, args[4] as tf.GradSaveFunc, options);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const g = backward(dy as tf.Tensor2D, saved);
          return [tf.reshape(g.dInput, [steps, batch, width]), g.dR, g.dh0, g.dc0];
        },
      };
    });
    return fused(input.x, recurrentKernel, h0, c0) as tf.Tensor2D;
  }
  const { steps } = input;
  const fused = tf.customGrad((...args: unknown[]) => {
    const [table, ids, r, hInit, cInit] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const { value, backward } = fusedSequence(table, ids, r, hInit, cInit, steps, args[5] as tf.GradSaveFunc, options);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const g = backward(dy as tf.Tensor2D, saved);
        return [g.dInput, tf.zerosLike(ids), g.dR, g.dh0, g.dc0];
      },
    };
  });
  return fused(input.table, input.ids, recurrentKernel, h0, c0) as tf.Tensor2D;
}

/** The op-by-op path, for backends without the fused kernels (tfjs-node). */
function lstmSequenceOps(xProj: tf.Tensor3D, recurrentKernel: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor2D {
  const sequence = tf.customGrad((...args: unknown[]) => {
    const [x, r, hInit, cInit] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const save = args[4] as tf.GradSaveFunc;
    const [steps, batch, width] = x.shape;
    const units = r.shape[0];
    const xAll = tf.reshape(x, [steps * batch, width]) as tf.Tensor2D;
    let h = hInit;
    let c = cInit;
    const hs: tf.Tensor2D[] = [];
    const saved: tf.Tensor[] = [cInit];
    for (let t = 0; t < steps; t++) {
      const out = stepForward(xAll, t, h, c, r, false);
      h = out.h;
      c = out.c;
      hs.push(h);
      saved.push(out.gates, out.c);
    }
    const hAll = tf.concat(hs, 0) as tf.Tensor2D; // [T * B, U]
    const hPrev = steps > 1 ? tf.concat([hInit, tf.slice(hAll, [0, 0], [(steps - 1) * batch, units])], 0) : hInit;
    save([...saved, hPrev, r]);
    return {
      value: hAll,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const rT = tf.transpose(kept[kept.length - 1] as tf.Tensor2D);
        const hPrevKept = kept[kept.length - 2] as tf.Tensor2D;
        let dhNext: tf.Tensor2D | null = null;
        let dcNext: tf.Tensor2D | null = null;
        const dzs: tf.Tensor2D[] = new Array<tf.Tensor2D>(steps);
        for (let t = steps - 1; t >= 0; t--) {
          const [dz, dcPrev] = stepBackwardOps(
            dy as tf.Tensor2D,
            t,
            kept[1 + 2 * t] as tf.Tensor2D,
            kept[2 * t] as tf.Tensor2D,
            kept[2 + 2 * t] as tf.Tensor2D,
            dhNext,
            dcNext,
          );
          dzs[t] = dz;
          dcNext = dcPrev;
          dhNext = tf.matMul(dz, rT) as tf.Tensor2D;
        }
        const dzAll = tf.concat(dzs, 0) as tf.Tensor2D;
        const dR = tf.matMul(hPrevKept, dzAll, true, false);
        return [tf.reshape(dzAll, [steps, batch, width]), dR, dhNext as tf.Tensor2D, dcNext as tf.Tensor2D];
      },
    };
  });
  return sequence(xProj, recurrentKernel, h0, c0) as tf.Tensor2D;
}

/** Forward only, also returning the final state: priming the sampler and stateful evaluation. */
export function lstmSequenceWithState(
  xProj: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  state: LstmState,
  options: Pick<FusedLstmOptions, 'fusedCell'> = {},
): { outputs: tf.Tensor2D; state: LstmState } {
  return tf.tidy(() => {
    const fusedCell = options.fusedCell !== false && hasLstmCellKernels();
    const [steps, batch, width] = xProj.shape;
    const xAll = tf.reshape(xProj, [steps * batch, width]) as tf.Tensor2D;
    let h = state.h;
    let c = state.c;
    const hs: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      const out = stepForward(xAll, t, h, c, recurrentKernel, fusedCell);
      h = out.h;
      c = out.c;
      hs.push(h);
    }
    return { outputs: tf.concat(hs, 0) as tf.Tensor2D, state: { h, c } };
  });
}
