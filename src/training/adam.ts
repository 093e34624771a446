/**
 * Adam with Keras' defaults, kept here (not tf.train.adam) so its moments can be saved in a
 * checkpoint and restored exactly on resume or after a NaN.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamState {
  step: number;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

export class Adam {
  private iterations = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly params: tf.Variable[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  get step(): number {
    return this.iterations;
  }

  /** Applies one update; `grads` are in the order of the parameters. */
  apply(grads: tf.Tensor[], learningRate: number): void {
    this.iterations++;
    const t = this.iterations;
    const rate = (learningRate * Math.sqrt(1 - Math.pow(this.beta2, t))) / (1 - Math.pow(this.beta1, t));
    tf.tidy(() => {
      grads.forEach((g, k) => {
        const m = tf.add(tf.mul(this.m[k], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[k], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        this.params[k].assign(tf.sub(this.params[k], tf.div(tf.mul(m, rate), tf.add(tf.sqrt(v), this.epsilon))));
      });
    });
  }

  /** Copies of the moments (the caller disposes them). */
  getState(): AdamState {
    return { step: this.iterations, m: this.m.map((x) => tf.clone(x)), v: this.v.map((x) => tf.clone(x)) };
  }

  setState(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`Optimizer state holds ${state.m.length} moments, the model has ${this.m.length} weights`);
    }
    this.iterations = state.step;
    state.m.forEach((x, k) => this.m[k].assign(x));
    state.v.forEach((x, k) => this.v[k].assign(x));
  }

  dispose(): void {
    this.m.forEach((x) => x.dispose());
    this.v.forEach((x) => x.dispose());
  }
}

/** Scales gradients so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
