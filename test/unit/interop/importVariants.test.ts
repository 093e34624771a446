/**
 * Imports that need the cell variants of the "cells" branch (ModelConfig.recurrentActivation and
 * the cell 'gru-reset-before'): run after merging it. tfjs-layers builds both by default (its LSTM
 * and GRU use hard_sigmoid, 0.2 x + 0.5 clipped; its GRU has reset_after false).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/accel';
import { exportModel } from '../../../src/interop/exportModel';
import { importModel } from '../../../src/interop/importModel';
import { tempDir, writeFiles } from '../helpers';
import {
  assertClose,
  charModel,
  charmLogProbs,
  IDS,
  kerasOutputs,
  logSoftmaxRows,
  randomizeWeights,
  RecurrentOptions,
  saveTfjs,
  TEXT,
  VOCAB,
} from './fixtures';

describe('charm import: cell variants (hard_sigmoid, GRU reset_after false)', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    await initBackend('cpu');
  });
  beforeEach(() => {
    tmp = tempDir('charm-variants-');
    writeFiles(tmp.dir, { 'corpus.txt': TEXT });
  });
  afterEach(() => tmp.cleanup());

  const cases: [string, RecurrentOptions, string, string | undefined][] = [
    ['an LSTM with hard_sigmoid', { recurrentActivation: 'hardSigmoid' }, 'lstm', 'hard_sigmoid'],
    ['a GRU with reset_after false', { cell: 'gru' }, 'gru-reset-before', undefined],
    [
      'two stacked GRUs with hard_sigmoid and a softmax Dense',
      { cell: 'gru', layers: 2, softmax: true, recurrentActivation: 'hardSigmoid' },
      'gru-reset-before',
      'hard_sigmoid',
    ],
  ];
  for (const [name, o, cell, activation] of cases) {
    it(`${name}: logits equal tfjs-layers' predict, and the tfjs-layers export loads back with the same logits`, async () => {
      const keras = charModel(o);
      randomizeWeights(keras, 13);
      await saveTfjs(keras, path.join(tmp.dir, 'tfjs'));
      const root = path.join(tmp.dir, 'charm');
      const { meta } = await importModel({
        file: path.join(tmp.dir, 'tfjs'),
        out: root,
        vocabulary: { kind: 'from-text', path: path.join(tmp.dir, 'corpus.txt') },
      });
      assert.equal(meta.model.cell, cell);
      assert.equal(meta.model.recurrentActivation, activation);
      const expected = logSoftmaxRows(kerasOutputs(keras, o));
      keras.dispose();
      assertClose(await charmLogProbs(root, IDS), expected);

      const out = path.join(tmp.dir, 'exported');
      await exportModel({ model: root, format: 'tfjs-layers', out });
      const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as {
        modelTopology: object;
        weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
      };
      const loaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: new Uint8Array(fs.readFileSync(path.join(out, 'weights.bin'))).buffer,
        }),
      );
      const predicted = tf.tidy(() => (loaded.predict(tf.tensor2d([IDS], [1, IDS.length])) as tf.Tensor).reshape([-1, VOCAB]).arraySync() as number[][]);
      loaded.dispose();
      assertClose(logSoftmaxRows(predicted), expected);
    });
  }
});
