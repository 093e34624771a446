/**
 * Issue #10, the recurrent variants of imported models: the LSTM with Keras' hard sigmoid gates
 * (Keras 2 / tfjs-layers' 0.2 slope, Keras 3's 1/6) and the GRU with reset_after = false (alone and
 * with the hard sigmoid). Each is checked against tfjs-layers' own layer on the same weights (an
 * Embedding -> LSTM/GRU -> Dense tf.sequential), and against a float64 reference written out here
 * (the only reference for Keras 3's slope, which tfjs-layers lacks), in every place Charm runs a
 * model: the training graph (logits, and gradients against tfjs-layers'), stateful evaluation,
 * StepModel and the inference engine's loader; then fine-tuned through the training session, saved,
 * loaded and described by `charm info`.
 *
 * The weights are drawn large (U(-1, 1)) so that gate pre-activations reach the hard sigmoid's clipped
 * ends, and each variant also checks that what a wrong implementation computes (the plain sigmoid,
 * reset_after) is far from the reference: the comparisons can tell the variants apart.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/accel';
import { jsMatVec } from '../../../src/accel/matVec/jsMatVec';
import { wasmMatVec } from '../../../src/accel/simd/wasmMatVec';
import { infoCommand } from '../../../src/cli/inspect';
import { Output } from '../../../src/cli/output';
import { loadForInference } from '../../../src/extension/inference/modelLoader';
import { cellLabel } from '../../../src/model/cells';
import { CharModel, disposeState, weightSpecs } from '../../../src/model/charModel';
import { ModelConfig, parameterCount, validateModelConfig } from '../../../src/model/config';
import { StepModel } from '../../../src/model/stepModel';
import { CheckpointMeta, freshProgress, loadCheckpoint, readCheckpointMeta, saveCheckpoint } from '../../../src/training/checkpoint';
import { runTrainingSession } from '../../../src/training/session';
import { Vocabulary } from '../../../src/training/vocabulary';
import { CharmError } from '../../../src/errors';
import { repetitiveText, tempDir, writeFiles } from '../helpers';

const TEXT = repetitiveText(3000);
const EMBEDDING = 5;
const UNITS = 6;
const STEPS = 12;
const BATCH = 2;

type Gate = (x: number) => number;
const sigmoid: Gate = (x) => 1 / (1 + Math.exp(-x));
const hardSigmoid =
  (slope: number): Gate =>
  (x) =>
    Math.min(1, Math.max(0, slope * x + 0.5));

type Choice = Pick<ModelConfig, 'cell' | 'recurrentActivation'>;

interface Variant {
  name: string;
  choice: Choice;
  /** As `charm info` names it. */
  label: string;
  /** The gate function of the float64 reference. */
  gate: Gate;
  /** tfjs-layers' layer computing the same, where it has one. */
  layer?: () => tf.layers.Layer;
  /** What a wrong implementation would compute, and the variant's weights laid out for it. */
  wrong: { choice: Choice; weights?: (w: Map<string, Float32Array>) => Map<string, Float32Array> };
}

/** The GRU bias [3U] as reset_after's [2, 3U] with a zero recurrent row: the reset_after GRU on the same weights. */
function asResetAfter(w: Map<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map(w);
  const bias = w.get('gru/bias') as Float32Array;
  const two = new Float32Array(2 * bias.length);
  two.set(bias);
  out.set('gru/bias', two);
  return out;
}

const VARIANTS: Variant[] = [
  {
    name: 'LSTM, hard_sigmoid (Keras 2, tfjs-layers)',
    label: 'LSTM (hard_sigmoid gates)',
    choice: { cell: 'lstm', recurrentActivation: 'hard_sigmoid' },
    gate: hardSigmoid(0.2),
    layer: () => tf.layers.lstm({ units: UNITS, returnSequences: true, recurrentActivation: 'hardSigmoid' }),
    wrong: { choice: { cell: 'lstm' } },
  },
  {
    name: 'LSTM, hard_sigmoid_keras3',
    label: 'LSTM (hard_sigmoid_keras3 gates)',
    choice: { cell: 'lstm', recurrentActivation: 'hard_sigmoid_keras3' },
    gate: hardSigmoid(1 / 6),
    wrong: { choice: { cell: 'lstm', recurrentActivation: 'hard_sigmoid' } },
  },
  {
    name: 'GRU, reset_after=false',
    label: 'GRU (reset_after=false)',
    choice: { cell: 'gru-reset-before' },
    gate: sigmoid,
    layer: () => tf.layers.gru({ units: UNITS, returnSequences: true, recurrentActivation: 'sigmoid' }),
    wrong: { choice: { cell: 'gru' }, weights: asResetAfter },
  },
  {
    name: 'GRU, reset_after=false, hard_sigmoid',
    label: 'GRU (reset_after=false, hard_sigmoid gates)',
    choice: { cell: 'gru-reset-before', recurrentActivation: 'hard_sigmoid' },
    gate: hardSigmoid(0.2),
    layer: () => tf.layers.gru({ units: UNITS, returnSequences: true, recurrentActivation: 'hardSigmoid' }),
    wrong: { choice: { cell: 'gru-reset-before' } },
  },
];

/** A small seeded generator (mulberry32): the same weights every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dot = (v: ArrayLike<number>, m: Float32Array, cols: number, col: number): number => {
  let s = 0;
  for (let r = 0; r < v.length; r++) s += v[r] * m[r * cols + col];
  return s;
};

/**
 * The model in float64, straight from Keras' equations: LSTM gates i, f, c, o; the GRU with
 * reset_after = false, z = g(x Wz + bz + h Rz), r = g(x Wr + br + h Rr),
 * h~ = tanh(x Wh + bh + (r ⊙ h) Rh), h' = z ⊙ h + (1 - z) ⊙ h~. Logits per step of one sequence.
 */
function referenceLogits(cell: ModelConfig['cell'], gate: Gate, w: Map<string, Float32Array>, vocabSize: number, ids: number[]): number[][] {
  const U = UNITS;
  const name = cell === 'lstm' ? 'lstm' : 'gru';
  const G = cell === 'lstm' ? 4 : 3;
  const [emb, k, r, b] = ['embedding/embeddings', `${name}/kernel`, `${name}/recurrent_kernel`, `${name}/bias`].map((n) => w.get(n) as Float32Array);
  const [dk, db] = ['dense/kernel', 'dense/bias'].map((n) => w.get(n) as Float32Array);
  let h = new Array<number>(U).fill(0);
  let c = new Array<number>(U).fill(0);
  const out: number[][] = [];
  for (const id of ids) {
    const x = Array.from(emb.subarray(id * EMBEDDING, (id + 1) * EMBEDDING));
    const xw = (col: number) => dot(x, k, G * U, col) + b[col];
    if (cell === 'lstm') {
      const z = (col: number) => xw(col) + dot(h, r, G * U, col);
      const i = h.map((_, j) => gate(z(j)));
      const f = h.map((_, j) => gate(z(U + j)));
      const g = h.map((_, j) => Math.tanh(z(2 * U + j)));
      const o = h.map((_, j) => gate(z(3 * U + j)));
      c = c.map((cj, j) => f[j] * cj + i[j] * g[j]);
      h = h.map((_, j) => o[j] * Math.tanh(c[j]));
    } else {
      const z = h.map((_, j) => gate(xw(j) + dot(h, r, G * U, j)));
      const reset = h.map((_, j) => gate(xw(U + j) + dot(h, r, G * U, U + j)));
      const resetH = h.map((hj, j) => reset[j] * hj);
      const candidate = h.map((_, j) => Math.tanh(xw(2 * U + j) + dot(resetH, r, G * U, 2 * U + j)));
      h = h.map((hj, j) => z[j] * hj + (1 - z[j]) * candidate[j]);
    }
    out.push(Array.from({ length: vocabSize }, (_, v) => dot(h, dk, vocabSize, v) + db[v]));
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** [sequence][step][symbol] as the reference gives them, flattened batch-major like predict's output. */
const flat = (logits: number[][][]): number[] => logits.flat(2);

/** CharModel's time-major [T * B, V] logits, batch-major. */
function batchMajor(timeMajor: Float32Array, vocabSize: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < BATCH; b++) for (let t = 0; t < STEPS; t++) out.push(...timeMajor.subarray((t * BATCH + b) * vocabSize, (t * BATCH + b + 1) * vocabSize));
  return out;
}

function stepLogits(step: StepModel, ids: number[][]): number[] {
  const out: number[] = [];
  for (const seq of ids) {
    const state = step.zeroState();
    for (const id of seq) {
      step.step(id, state);
      out.push(...(state.logits as Float32Array));
    }
  }
  return out;
}

function metaFor(config: ModelConfig): CheckpointMeta {
  return {
    model: config,
    training: {},
    corpus: { sources: ['imported'], files: 0, chars: 0, trainChars: 0, valChars: 0, unknownChars: 0 },
    progress: freshProgress(),
    history: { train: [], val: [] },
    backend: 'cpu',
    savedAt: '2026-12-01T00:00:00Z',
  };
}

function infoText(dir: string): string {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString()));
  infoCommand({ model: dir }, new Output(false, stdout as unknown as NodeJS.WriteStream, new PassThrough() as unknown as NodeJS.WriteStream));
  return text;
}

describe('cell variants of imported models (issue #10)', function () {
  this.timeout(120_000);
  const vocab = Vocabulary.build(TEXT);
  const V = vocab.size;
  const draw = random(10);
  const IDS = Array.from({ length: BATCH }, () => Array.from({ length: STEPS }, () => Math.floor(draw() * V)));
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    await initBackend('cpu');
    tmp = tempDir('charm-variants-');
    writeFiles(tmp.dir, { 'corpus/cats.txt': TEXT });
  });
  after(() => tmp.cleanup());

  VARIANTS.forEach((variant, index) => {
    describe(variant.name, () => {
      const config: ModelConfig = { ...variant.choice, vocabSize: V, embedding: EMBEDDING, units: UNITS, layers: 1 };
      const rnd = random(100 + index);
      // Charm's names and shapes are Keras', so one set of values serves both models.
      const weights = new Map(weightSpecs(config).map((s) => [s.name, Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => 2 * rnd() - 1)]));
      const tensors = () => new Map(weightSpecs(config).map((s) => [s.name, tf.tensor(weights.get(s.name) as Float32Array, s.shape)]));
      const reference = flat(IDS.map((seq) => referenceLogits(config.cell, variant.gate, weights, V, seq)));
      let model: CharModel;
      const root = () => path.join(tmp.dir, `model-${index}`);

      before(() => {
        const t = tensors();
        model = CharModel.fromTensors(config, t);
        tf.dispose([...t.values()]);
      });
      after(() => model.dispose());

      if (variant.layer) {
        const makeLayer = variant.layer;
        it("matches tfjs-layers' own layer on the same weights, logits and gradients (and so does the float64 reference)", () => {
          const keras = tf.sequential({
            layers: [tf.layers.embedding({ inputDim: V, outputDim: EMBEDDING, inputLength: STEPS }), makeLayer(), tf.layers.dense({ units: V })],
          });
          try {
            // tfjs-layers' weights are in Keras' order: embeddings, kernel, recurrent kernel, bias, dense kernel and bias.
            const specs = weightSpecs(config);
            assert.deepEqual(
              keras.getWeights().map((w) => w.shape),
              specs.map((s) => s.shape),
            );
            const t = specs.map((s) => tf.tensor(weights.get(s.name) as Float32Array, s.shape));
            keras.setWeights(t);
            tf.dispose(t);
            assert.equal(keras.countParams(), parameterCount(config));
            const input = tf.tensor2d(IDS, [BATCH, STEPS]);
            const predicted = keras.predict(input) as tf.Tensor;
            const expected = predicted.dataSync();
            tf.dispose([input, predicted]);
            assert.ok(maxDiff(expected, reference) < 1e-5, `reference vs tfjs-layers: ${maxDiff(expected, reference)}`);
            const ids = tf.tensor2d(IDS, [BATCH, STEPS], 'int32');
            const logits = model.logits(ids);
            const charm = batchMajor(logits.dataSync() as Float32Array, V);
            tf.dispose([ids, logits]);
            assert.ok(maxDiff(charm, expected) < 1e-5, `training graph vs tfjs-layers: ${maxDiff(charm, expected)}`);

            // Fine-tuning follows the same gradients: the mean cross-entropy of every position, both ways.
            const targets = IDS.map((seq) => seq.map((_, t) => seq[(t + 1) % STEPS]));
            const kerasVariables = keras.trainableWeights.map((w) => w.read() as tf.Variable);
            const kerasGrads = tf.variableGrads(() => {
              const out = keras.apply(tf.tensor2d(IDS, [BATCH, STEPS])) as tf.Tensor3D;
              return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor2d(targets, [BATCH, STEPS], 'int32'), V), out) as tf.Scalar;
            }, kerasVariables);
            const charmGrads = tf.variableGrads(
              () => model.loss(tf.tensor2d(IDS, [BATCH, STEPS], 'int32'), tf.tensor2d(targets, [BATCH, STEPS], 'int32')),
              model.variables,
            );
            assert.ok(Math.abs(kerasGrads.value.dataSync()[0] - charmGrads.value.dataSync()[0]) < 1e-5, 'loss');
            model.variables.forEach((v, k) => {
              const ours = charmGrads.grads[v.name].dataSync();
              const theirs = kerasGrads.grads[kerasVariables[k].name].dataSync();
              const scale = Math.max(1e-3, ...Array.from(theirs, Math.abs));
              assert.ok(maxDiff(ours, theirs) < 1e-4 * scale, `gradient of ${specs[k].name}: ${maxDiff(ours, theirs)} (scale ${scale})`);
            });
            tf.dispose([kerasGrads.value, charmGrads.value, ...Object.values(kerasGrads.grads), ...Object.values(charmGrads.grads)]);
          } finally {
            keras.dispose();
          }
        });
      }

      it('gives the reference logits in the training graph and in stateful evaluation', () => {
        const ids = tf.tensor2d(IDS, [BATCH, STEPS], 'int32');
        const logits = model.logits(ids);
        const training = batchMajor(logits.dataSync() as Float32Array, V);
        tf.dispose([ids, logits]);
        assert.ok(maxDiff(training, reference) < 1e-5, `training graph: ${maxDiff(training, reference)}`);
        // Stateful: the first half in one call, then one step at a time, the state carried.
        let state = model.zeroState(BATCH);
        const half = STEPS / 2;
        const feed = (from: number, to: number) => {
          const chunk = tf.tensor2d(
            IDS.map((seq) => seq.slice(from, to)),
            [BATCH, to - from],
            'int32',
          );
          const out = model.advance(chunk, state);
          chunk.dispose();
          disposeState(state);
          state = out.state;
          const last = out.logits.dataSync();
          out.logits.dispose();
          for (let b = 0; b < BATCH; b++) {
            const at = (b * STEPS + to - 1) * V;
            assert.ok(maxDiff(last.subarray(b * V, (b + 1) * V), reference.slice(at, at + V)) < 1e-5, `advance to ${to}, sequence ${b}`);
          }
        };
        feed(0, half);
        for (let t = half; t < STEPS; t++) feed(t, t + 1);
        disposeState(state);
      });

      it('gives the reference logits in StepModel, step by step, with JavaScript and WebAssembly products', () => {
        for (const matVec of [jsMatVec, wasmMatVec]) {
          const step = new StepModel(config, weights, matVec);
          try {
            const got = stepLogits(step, IDS);
            assert.ok(maxDiff(got, reference) < 1e-5, `StepModel: ${maxDiff(got, reference)}`);
          } finally {
            step.dispose();
          }
        }
      });

      it('is told apart from what a wrong implementation computes', () => {
        const wrongConfig: ModelConfig = { ...config, ...variant.wrong.choice, recurrentActivation: variant.wrong.choice.recurrentActivation };
        const step = new StepModel(wrongConfig, (variant.wrong.weights ?? ((w) => w))(weights), jsMatVec);
        try {
          assert.ok(maxDiff(stepLogits(step, IDS), reference) > 1e-2);
        } finally {
          step.dispose();
        }
      });

      it("keeps the variant through a checkpoint; the engine's loader steps it; `charm info` names it", async () => {
        await saveCheckpoint(root(), 'best', { model, vocab, meta: metaFor(config) });
        await saveCheckpoint(root(), 'latest', { model, vocab, meta: metaFor(config) });
        assert.deepEqual(readCheckpointMeta(path.join(root(), 'best')).model, config);
        const loaded = await loadCheckpoint(root());
        try {
          assert.deepEqual(loaded.model.config, config);
          assert.equal(loaded.model.parameterCount, parameterCount(config));
        } finally {
          loaded.model.dispose();
        }
        const engine = await loadForInference(root(), 'wasm');
        try {
          assert.deepEqual(engine.model.config, config);
          const got = stepLogits(engine.model, IDS);
          assert.ok(maxDiff(got, reference) < 1e-5, `engine: ${maxDiff(got, reference)}`);
        } finally {
          engine.model.dispose();
        }
        await initBackend('cpu');
        const info = infoText(root());
        assert.match(info, new RegExp(`Shape: +${variant.label.replace(/[()]/g, '\\$&')} 1x${UNITS}, .*, ${parameterCount(config)} parameters`));
      });

      it('fine-tunes (train --resume): the loss goes down and the variant is kept', async () => {
        const losses: number[] = [];
        await runTrainingSession(
          {
            paths: [path.join(tmp.dir, 'corpus')],
            out: root(),
            resume: true,
            fineTune: true,
            backend: 'cpu',
            options: { seqLength: 16, batchSize: 4, maxSteps: 40, evalEvery: 1000, patience: 0, learningRate: 1e-2 },
          },
          { onStep: (e) => losses.push(e.loss) },
        );
        assert.equal(losses.length, 40);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        assert.ok(mean(losses.slice(-5)) < 0.85 * mean(losses.slice(0, 5)), `loss ${mean(losses.slice(0, 5))} -> ${mean(losses.slice(-5))}`);
        const trained = await loadCheckpoint(root(), { prefer: 'latest' });
        try {
          assert.deepEqual(trained.meta.model, config);
          // The gradient reached through the recurrence, not only the dense layer.
          const name = `${config.cell === 'lstm' ? 'lstm' : 'gru'}/recurrent_kernel`;
          assert.ok(maxDiff(trained.model.weight(name).dataSync(), weights.get(name) as Float32Array) > 1e-3);
        } finally {
          trained.model.dispose();
        }
      });
    });
  });

  it('names the variants in `charm info` and the model view', () => {
    assert.equal(cellLabel({ cell: 'lstm' }), 'LSTM');
    assert.equal(cellLabel({ cell: 'lstm', recurrentActivation: 'sigmoid' }), 'LSTM');
    assert.equal(cellLabel({ cell: 'lstm', recurrentActivation: 'hard_sigmoid' }), 'LSTM (hard_sigmoid gates)');
    assert.equal(cellLabel({ cell: 'gru-reset-before', recurrentActivation: 'hard_sigmoid_keras3' }), 'GRU (reset_after=false, hard_sigmoid_keras3 gates)');
  });

  it('rejects an unknown recurrent activation with one line naming the ones there are', () => {
    const bad = { cell: 'lstm', vocabSize: 9, embedding: 4, units: 4, layers: 1, recurrentActivation: 'relu' } as unknown as ModelConfig;
    assert.throws(
      () => validateModelConfig(bad),
      (e: Error) => e instanceof CharmError && e.message === 'Unknown recurrent activation "relu": expected sigmoid, hard_sigmoid, hard_sigmoid_keras3',
    );
  });
});
