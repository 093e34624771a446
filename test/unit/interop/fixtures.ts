/**
 * Fixtures for the import/export tests, made by real tfjs-layers: small models with seeded random
 * weights, saved through tf.io.withSaveHandler to the files tfjs' model.save writes (model.json
 * with modelTopology and weightsManifest, and one weights.bin).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { importModel } from '../../../src/interop/importModel';
import { CheckpointMeta, loadCheckpoint } from '../../../src/training/checkpoint';

export const VOCAB = 8;
/** A vocabulary of VOCAB characters, in code point order as --vocab-from-text builds it. */
export const TEXT = 'abc def\nfed cba\n';

/** Replaces every weight by seeded uniform values in [-0.5, 0.5), so biases matter too. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((w, k) => {
    const value = tf.randomUniform(w.shape as number[], -0.5, 0.5, 'float32', seed * 100 + k);
    w.write(value);
    value.dispose();
  });
}

export async function saveTfjs(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/**
 * charModel(o) with weights seeded by `seed`, saved as tfjs-layers in dir/tfjs and imported into
 * dir/charm with the vocabulary of dir/corpus.txt (the tests write TEXT there).
 */
export async function importedFixture(dir: string, o: RecurrentOptions, seed: number): Promise<{ keras: tf.LayersModel; root: string; meta: CheckpointMeta }> {
  const keras = charModel(o);
  randomizeWeights(keras, seed);
  await saveTfjs(keras, path.join(dir, 'tfjs'));
  const root = path.join(dir, 'charm');
  const { meta } = await importModel({ file: path.join(dir, 'tfjs'), out: root, vocabulary: { kind: 'from-text', path: path.join(dir, 'corpus.txt') } });
  return { keras, root, meta };
}

/** What tf.loadLayersModel makes of a tfjs-layers folder (model.json + weights.bin): its log-probabilities for ids. */
export async function exportedLogProbs(dir: string, ids: number[] = IDS): Promise<number[][]> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin'))).buffer,
    }),
  );
  const predicted = tf.tidy(() => (loaded.predict(tf.tensor2d([ids], [1, ids.length])) as tf.Tensor).reshape([-1, VOCAB]).arraySync() as number[][]);
  loaded.dispose();
  return logSoftmaxRows(predicted);
}

export interface RecurrentOptions {
  cell?: 'lstm' | 'gru';
  units?: number;
  layers?: number;
  softmax?: boolean;
  oneHot?: boolean;
  /** Many-to-one: the last recurrent layer returns its last output only; the input has this many steps. */
  window?: number;
  recurrentActivation?: 'sigmoid' | 'hardSigmoid';
  /** Input and output size; default VOCAB. */
  vocab?: number;
}

/** Embedding (or one-hot input) -> recurrent layers -> Dense, as the tutorials build it. */
export function charModel(o: RecurrentOptions = {}): tf.LayersModel {
  const units = o.units ?? 6;
  const layers = o.layers ?? 1;
  const model = tf.sequential();
  const steps = o.window ?? null;
  const vocab = o.vocab ?? VOCAB;
  if (o.oneHot) {
    model.add(tf.layers.inputLayer({ batchInputShape: [null, steps, vocab] }));
  } else {
    model.add(tf.layers.embedding({ inputDim: vocab, outputDim: 5, batchInputShape: [null, steps] }));
  }
  for (let k = 0; k < layers; k++) {
    const args = { units, returnSequences: o.window ? k < layers - 1 : true, recurrentActivation: o.recurrentActivation ?? 'sigmoid' };
    model.add(o.cell === 'gru' ? tf.layers.gru(args) : tf.layers.lstm(args));
  }
  model.add(tf.layers.dense({ units: vocab, activation: o.softmax ? 'softmax' : 'linear' }));
  return model;
}

/** Symbol ids of a test sequence. */
export const IDS = [0, 3, 1, 7, 2, 2, 5, 4, 0, 6];

/** tfjs-layers' output for IDS, as log-probabilities when the model ends in softmax, else logits: [steps or 1, V]. */
export function kerasOutputs(model: tf.LayersModel, o: RecurrentOptions, ids: number[] = IDS): number[][] {
  return tf.tidy(() => {
    const vocab = o.vocab ?? VOCAB;
    const input = o.oneHot ? tf.oneHot(tf.tensor1d(ids, 'int32'), vocab).expandDims(0) : tf.tensor2d([ids], [1, ids.length]);
    const out = model.predict(input) as tf.Tensor;
    const rows = out.reshape([-1, vocab]);
    return (o.softmax ? tf.log(rows) : rows).arraySync() as number[][];
  });
}

/** Charm's logits for ids from a zero state, [steps, V], as log-probabilities (log_softmax). */
export async function charmLogProbs(root: string, ids: number[]): Promise<number[][]> {
  const { model } = await loadCheckpoint(root);
  try {
    return tf.tidy(() => tf.logSoftmax(model.logits(tf.tensor2d([ids], [1, ids.length], 'int32'))).arraySync());
  } finally {
    model.dispose();
  }
}

export function assertClose(actual: number[][], expected: number[][], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, 'rows');
  actual.forEach((row, t) => row.forEach((x, v) => assert.ok(Math.abs(x - expected[t][v]) <= tolerance, `step ${t} symbol ${v}: ${x} vs ${expected[t][v]}`)));
}

export function logSoftmaxRows(rows: number[][]): number[][] {
  return tf.tidy(() => tf.logSoftmax(tf.tensor2d(rows)).arraySync());
}
