/**
 * A fused LSTM written with tfjs ops, in Keras' weight layout (kernel [in, 4U], recurrent kernel
 * [U, 4U], bias [4U], gates i, f, c, o).
 *
 * Training goes through `lstmSequence`: the caller computes the input projection for every time
 * step in one matmul, then each step does one recurrent matmul and slices its gates; the backward
 * pass is written out by hand (tf.customGrad) so autodiff does not record ~15 ops per step, and the
 * weight gradient becomes one large matmul over all steps. tf.layers.lstm is 2-10x slower here.
 */
import * as tf from '@tensorflow/tfjs';

// A type alias so tf.tidy accepts it as a TensorContainer.
export type LstmState = {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
};

interface CellOutputs {
  i: tf.Tensor2D;
  f: tf.Tensor2D;
  g: tf.Tensor2D;
  o: tf.Tensor2D;
  c: tf.Tensor2D;
  tanhC: tf.Tensor2D;
  h: tf.Tensor2D;
}

/** One cell update from the pre-activations z = x W + h R + b. */
function cell(z: tf.Tensor2D, cPrev: tf.Tensor2D, units: number): CellOutputs {
  const batch = z.shape[0];
  const s = tf.sigmoid(z);
  const i = tf.slice(s, [0, 0], [batch, units]);
  const f = tf.slice(s, [0, units], [batch, units]);
  const o = tf.slice(s, [0, 3 * units], [batch, units]);
  const g = tf.tanh(tf.slice(z, [0, 2 * units], [batch, units]));
  const c = tf.add(tf.mul(f, cPrev), tf.mul(i, g)) as tf.Tensor2D;
  const tanhC = tf.tanh(c);
  const h = tf.mul(o, tanhC) as tf.Tensor2D;
  return { i, f, g, o, c, tanhC, h };
}

/** Per-step [B, G] views of a time-major [T, B, G] tensor; row slices are cheaper than tf.unstack on wasm. */
export function stepSlices(x: tf.Tensor3D): tf.Tensor2D[] {
  const [steps, batch, width] = x.shape;
  const flat = tf.reshape(x, [steps * batch, width]) as tf.Tensor2D;
  return Array.from({ length: steps }, (_, t) => tf.slice(flat, [t * batch, 0], [batch, width]));
}

/** One step without gradients: the sampler's inner loop. `xProj` already holds x W + b. */
export function lstmStep(xProj: tf.Tensor2D, recurrentKernel: tf.Tensor2D, state: LstmState): LstmState {
  return tf.tidy(() => {
    const units = recurrentKernel.shape[0];
    const z = tf.add(xProj, tf.matMul(state.h, recurrentKernel)) as tf.Tensor2D;
    const out = cell(z, state.c, units);
    return { h: out.h, c: out.c };
  });
}

/**
 * Runs the LSTM over a whole sequence.
 * @param xProj input projections, time-major [T, B, 4U] (bias included)
 * @returns hidden states, time-major and flattened: [T * B, U]
 */
export function lstmSequence(
  xProj: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): tf.Tensor2D {
  const fused = tf.customGrad((...args: unknown[]) => {
    const [x, r, hInit, cInit] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const save = args[4] as tf.GradSaveFunc;
    const [steps, batch] = x.shape;
    const units = r.shape[0];
    const xs = stepSlices(x);
    let h = hInit;
    let c = cInit;
    const hs: tf.Tensor2D[] = [];
    const saved: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const z = tf.add(xs[t], tf.matMul(h, r)) as tf.Tensor2D;
      const out = cell(z, c, units);
      // Saved per step: gates, previous c and tanh(c), everything the backward pass needs.
      saved.push(out.i, out.f, out.g, out.o, c, out.tanhC);
      h = out.h;
      c = out.c;
      hs.push(h);
    }
    const hAll = tf.concat(hs, 0) as tf.Tensor2D; // [T * B, U]
    // hPrev, stacked, gives the recurrent kernel's gradient in one matmul.
    const hPrev = steps > 1 ? tf.concat([hInit, tf.slice(hAll, [0, 0], [(steps - 1) * batch, units])], 0) : hInit;
    save([...saved, hPrev, r]);
    return {
      value: hAll,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const rKept = kept[kept.length - 1] as tf.Tensor2D;
        const hPrevKept = kept[kept.length - 2] as tf.Tensor2D;
        const rT = tf.transpose(rKept);
        const dYs = tf.split(dy as tf.Tensor2D, steps, 0) as tf.Tensor2D[];
        let dhNext: tf.Tensor2D | null = null;
        let dcNext: tf.Tensor2D | null = null;
        const dzs: tf.Tensor2D[] = new Array(steps);
        for (let t = steps - 1; t >= 0; t--) {
          const [i, f, g, o, cPrev, tanhC] = kept.slice(6 * t, 6 * t + 6) as tf.Tensor2D[];
          const dh = (dhNext ? tf.add(dYs[t], dhNext) : dYs[t]) as tf.Tensor2D;
          // d tanh(c) = 1 - tanh(c)^2; d sigmoid(s) = s (1 - s)
          const dcFromH = tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tanhC)));
          const dc = (dcNext ? tf.add(dcFromH, dcNext) : dcFromH) as tf.Tensor2D;
          const di = tf.mul(tf.mul(dc, g), tf.mul(i, tf.sub(1, i)));
          const df = tf.mul(tf.mul(dc, cPrev), tf.mul(f, tf.sub(1, f)));
          const dg = tf.mul(tf.mul(dc, i), tf.sub(1, tf.square(g)));
          const dO = tf.mul(tf.mul(dh, tanhC), tf.mul(o, tf.sub(1, o)));
          const dz = tf.concat([di, df, dg, dO], 1) as tf.Tensor2D;
          dzs[t] = dz;
          dcNext = tf.mul(dc, f) as tf.Tensor2D;
          dhNext = tf.matMul(dz, rT) as tf.Tensor2D;
        }
        const dzAll = tf.concat(dzs, 0) as tf.Tensor2D; // [T * B, 4U]
        const dR = tf.matMul(hPrevKept, dzAll, true, false);
        const dX = tf.reshape(dzAll, [steps, batch, 4 * units]);
        return [dX, dR, dhNext as tf.Tensor2D, dcNext as tf.Tensor2D];
      },
    };
  });
  return fused(xProj, recurrentKernel, h0, c0) as tf.Tensor2D;
}

/** Forward only, also returning the final state: priming the sampler and stateful evaluation. */
export function lstmSequenceWithState(
  xProj: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  state: LstmState,
): { outputs: tf.Tensor2D; state: LstmState } {
  return tf.tidy(() => {
    const units = recurrentKernel.shape[0];
    const xs = stepSlices(xProj);
    let h = state.h;
    let c = state.c;
    const hs: tf.Tensor2D[] = [];
    for (const x of xs) {
      const out = cell(tf.add(x, tf.matMul(h, recurrentKernel)) as tf.Tensor2D, c, units);
      h = out.h;
      c = out.c;
      hs.push(h);
    }
    return { outputs: tf.concat(hs, 0) as tf.Tensor2D, state: { h, c } };
  });
}
