/**
 * Embedding -> stacked recurrent layers (a cell of cells/) -> Dense, producing logits. Weights are
 * plain tf.Variables named in Keras' layout so checkpoints map one-to-one onto a Keras model's weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelConfig, validateModelConfig } from './config';
import { biasRows, biasShape, CellSpec, cellSpec, gateWidth, initialBiasValues, layerName } from './cells';
import type { CellGraph, LayerState, LayerWeights, SequenceInput } from './cells/graph';
import { cellGraph } from './cells/graphs';
import { gatherRows } from '../accel';
import { sparseSoftmaxCrossEntropy, lossAndHits } from './loss';
import { CharmError } from '../errors';

export type RecurrentState = LayerState[];

export interface WeightSpec {
  name: string;
  shape: number[];
}

/** The weights a config needs, in a fixed order (the order of the weights file). */
export function weightSpecs(config: ModelConfig): WeightSpec[] {
  const cell = cellSpec(config.cell);
  const gates = gateWidth(cell, config.units);
  const specs: WeightSpec[] = [{ name: 'embedding/embeddings', shape: [config.vocabSize, config.embedding] }];
  for (let layer = 0; layer < config.layers; layer++) {
    const name = layerName(cell, layer);
    const input = layer === 0 ? config.embedding : config.units;
    specs.push({ name: `${name}/kernel`, shape: [input, gates] });
    specs.push({ name: `${name}/recurrent_kernel`, shape: [config.units, gates] });
    specs.push({ name: `${name}/bias`, shape: biasShape(cell, config.units) });
  }
  specs.push({ name: 'dense/kernel', shape: [config.units, config.vocabSize] });
  specs.push({ name: 'dense/bias', shape: [config.vocabSize] });
  return specs;
}

function glorotUniform(shape: number[], seed: number): tf.Tensor {
  const limit = Math.sqrt(6 / (shape[0] + shape[shape.length - 1]));
  return tf.randomUniform(shape, -limit, limit, 'float32', seed);
}

/** Initial values as Keras would draw them, except the embeddings and the recurrent kernel (see below). */
function initialValue(spec: WeightSpec, config: ModelConfig, seed: number): tf.Tensor {
  const { name, shape } = spec;
  if (name.endsWith('/embeddings')) {
    // Keras draws U(-0.05, 0.05), which starves the LSTM of input for the first hundreds of steps.
    // N(0, 1), as PyTorch draws it, learns much faster: small preset on tinyshakespeare, 300
    // steps, validation loss 1.90 instead of 2.21.
    return tf.randomNormal(shape, 0, 1, 'float32', seed);
  }
  if (name.endsWith('/recurrent_kernel')) {
    // Keras uses an orthogonal matrix; a QR of [4U, U] in JS takes seconds at U = 1024. A Gaussian
    // with variance 1/U has the same scale (spectral radius ~1), which is what matters here.
    return tf.randomNormal(shape, 0, 1 / Math.sqrt(config.units), 'float32', seed);
  }
  if (name === 'dense/bias') return tf.zeros(shape);
  if (name.endsWith('/bias')) return tf.tensor(initialBiasValues(cellSpec(config.cell), config.units), shape);
  return glorotUniform(shape, seed);
}

export class CharModel {
  private readonly cell: CellSpec;
  private readonly graph: CellGraph;

  private constructor(
    readonly config: ModelConfig,
    private readonly weights: Map<string, tf.Variable>,
  ) {
    this.cell = cellSpec(config.cell);
    this.graph = cellGraph(config);
  }

  static create(config: ModelConfig, seed = 1): CharModel {
    validateModelConfig(config);
    const weights = new Map<string, tf.Variable>();
    weightSpecs(config).forEach((spec, index) => {
      const value = tf.tidy(() => initialValue(spec, config, seed * 1000 + index));
      // Unnamed: tfjs variable names are global, and a process may hold several models.
      weights.set(spec.name, tf.variable(value, true));
      value.dispose();
    });
    return new CharModel(config, weights);
  }

  /** Builds a model from named tensors (a checkpoint); takes ownership of nothing. */
  static fromTensors(config: ModelConfig, tensors: Map<string, tf.Tensor>): CharModel {
    validateModelConfig(config);
    const weights = new Map<string, tf.Variable>();
    for (const spec of weightSpecs(config)) {
      const t = tensors.get(spec.name);
      if (!t) throw new CharmError(`Checkpoint is missing the weight "${spec.name}"`);
      if (!tf.util.arraysEqual(t.shape, spec.shape)) {
        throw new CharmError(`Checkpoint weight "${spec.name}" has shape [${t.shape}], expected [${spec.shape}]`);
      }
      weights.set(spec.name, tf.variable(t, true));
    }
    return new CharModel(config, weights);
  }

  /** Trainable variables in the fixed weight order. */
  get variables(): tf.Variable[] {
    return weightSpecs(this.config).map((s) => this.weight(s.name));
  }

  weight(name: string): tf.Variable {
    const w = this.weights.get(name);
    if (!w) throw new Error(`No weight named ${name}`);
    return w;
  }

  /** Every weight's values by name, copied out of the backend (for StepModel). */
  weightValues(): Map<string, Float32Array> {
    return new Map(weightSpecs(this.config).map((s) => [s.name, (this.weight(s.name).dataSync() as Float32Array).slice()]));
  }

  /** Replaces every weight's value (restoring the last good weights after a NaN). */
  assign(values: Map<string, tf.Tensor>): void {
    for (const [name, v] of this.weights) {
      const value = values.get(name);
      if (value) v.assign(value);
    }
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.weights.values()) n += v.size;
    return n;
  }

  private gateWidth(): number {
    return gateWidth(this.cell, this.config.units);
  }

  /** The bias added to x W: the whole bias, or its first row for a bias of several rows. */
  private inputBias(layer: number): tf.Tensor {
    const bias = this.weight(`${layerName(this.cell, layer)}/bias`);
    return biasRows(this.cell) === 1 ? bias : tf.squeeze(tf.slice(bias, [0, 0], [1, this.gateWidth()]), [0]);
  }

  /** Input projection of layer 0 for every symbol: Embedding followed by x W + b folds into one [V, G*U] table. */
  firstLayerTable(): tf.Tensor2D {
    const name = layerName(this.cell, 0);
    return tf.add(tf.matMul(this.weight('embedding/embeddings'), this.weight(`${name}/kernel`)), this.inputBias(0)) as tf.Tensor2D;
  }

  private inputProjection(layer: number, x: tf.Tensor2D): tf.Tensor2D {
    const name = layerName(this.cell, layer);
    return tf.add(tf.matMul(x, this.weight(`${name}/kernel`)), this.inputBias(layer)) as tf.Tensor2D;
  }

  /** A layer's recurrent kernel, and the bias' second row (the recurrent bias) for a bias of two rows. */
  private layerWeights(layer: number): LayerWeights {
    const name = layerName(this.cell, layer);
    const recurrentKernel = this.weight(`${name}/recurrent_kernel`) as tf.Tensor2D;
    if (biasRows(this.cell) === 1) return { recurrentKernel, recurrentBias: null };
    const bias = this.weight(`${name}/bias`);
    return { recurrentKernel, recurrentBias: tf.squeeze(tf.slice(bias, [1, 0], [1, this.gateWidth()]), [0]) as tf.Tensor1D };
  }

  private dense(h: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: h, b: this.weight('dense/kernel'), bias: this.weight('dense/bias') }) as tf.Tensor2D;
  }

  /**
   * Logits for every position, from a zero state (the book's stateless training).
   * @param ids [B, T] int32
   * @returns [T * B, V], time-major: row t * B + b is sequence b at step t
   */
  logits(ids: tf.Tensor2D): tf.Tensor2D {
    const [batch, steps] = ids.shape;
    const { units } = this.config;
    const timeMajor = tf.reshape(tf.transpose(ids), [steps * batch]) as tf.Tensor1D;
    const table = this.firstLayerTable();
    let hidden: tf.Tensor2D | undefined;
    const zeros = tf.zeros([batch, units]) as tf.Tensor2D;
    for (let layer = 0; layer < this.config.layers; layer++) {
      // The first layer reads its inputs from the per-symbol table (inside the fused LSTM).
      const input: SequenceInput =
        layer === 0
          ? { kind: 'table', table, ids: timeMajor, steps, batch }
          : { kind: 'rows', x: tf.reshape(this.inputProjection(layer, hidden as tf.Tensor2D), [steps, batch, this.gateWidth()]) as tf.Tensor3D };
      hidden = this.graph.sequence(input, this.layerWeights(layer), zeros);
    }
    return this.dense(hidden as tf.Tensor2D);
  }

  /** Time-major labels matching `logits`' rows. */
  static timeMajorLabels(targets: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(tf.transpose(targets), [targets.size]) as tf.Tensor1D;
  }

  /** Mean cross-entropy in nats: the training objective. */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    return sparseSoftmaxCrossEntropy(this.logits(inputs), CharModel.timeMajorLabels(targets));
  }

  /** Summed loss and correct predictions for a batch, without gradients. */
  evaluate(inputs: tf.Tensor2D, targets: tf.Tensor2D): { lossSum: number; hits: number } {
    const { lossSum, hits } = tf.tidy(() => lossAndHits(this.logits(inputs), CharModel.timeMajorLabels(targets)));
    const result = { lossSum: lossSum.dataSync()[0], hits: hits.dataSync()[0] };
    lossSum.dispose();
    hits.dispose();
    return result;
  }

  zeroState(batch: number): RecurrentState {
    const state: RecurrentState = [];
    for (let layer = 0; layer < this.config.layers; layer++) {
      state.push(
        this.cell.hasCellState
          ? { h: tf.zeros([batch, this.config.units]), c: tf.zeros([batch, this.config.units]) }
          : { h: tf.zeros([batch, this.config.units]) },
      );
    }
    return state;
  }

  /**
   * Feeds a whole sequence from a given state, without gradients.
   * @param ids [B, T] int32
   * @returns the logits of the last step [B, V] and the state after it (the caller disposes both)
   */
  advance(ids: tf.Tensor2D, state: RecurrentState): { logits: tf.Tensor2D; state: RecurrentState } {
    return tf.tidy(() => {
      const [batch, steps] = ids.shape;
      let projected: tf.Tensor2D = gatherRows(this.firstLayerTable(), tf.reshape(tf.transpose(ids), [steps * batch]) as tf.Tensor1D);
      let hidden: tf.Tensor2D | undefined;
      const next: RecurrentState = [];
      for (let layer = 0; layer < this.config.layers; layer++) {
        if (layer > 0) projected = this.inputProjection(layer, hidden as tf.Tensor2D);
        const weights = this.layerWeights(layer);
        if (steps === 1) {
          const out = this.graph.step(projected, weights, state[layer]);
          next.push(out);
          hidden = out.h;
          continue;
        }
        const xProj = tf.reshape(projected, [steps, batch, this.gateWidth()]) as tf.Tensor3D;
        const out = this.graph.sequenceWithState(xProj, weights, state[layer]);
        next.push(out.state);
        hidden = out.outputs;
      }
      const last = tf.slice(hidden as tf.Tensor2D, [(steps - 1) * batch, 0], [batch, this.config.units]) as tf.Tensor2D;
      return { logits: this.dense(last), state: next };
    });
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
  }
}

export function disposeState(state: RecurrentState): void {
  for (const s of state) {
    s.h.dispose();
    s.c?.dispose();
  }
}
