/**
 * Imports that need the cell variants of the "cells" branch (ModelConfig.recurrentActivation and
 * the cell 'gru-reset-before'): run after merging it. tfjs-layers builds both by default (its LSTM
 * and GRU use hard_sigmoid, 0.2 x + 0.5 clipped; its GRU has reset_after false).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { initBackend } from '../../../src/accel';
import { exportModel } from '../../../src/interop/exportModel';
import { tempDir, writeFiles } from '../helpers';
import { assertClose, charmLogProbs, exportedLogProbs, importedFixture, IDS, kerasOutputs, logSoftmaxRows, RecurrentOptions, TEXT } from './fixtures';

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
      const { keras, root, meta } = await importedFixture(tmp.dir, o, 13);
      assert.equal(meta.model.cell, cell);
      assert.equal(meta.model.recurrentActivation, activation);
      const expected = logSoftmaxRows(kerasOutputs(keras, o));
      keras.dispose();
      assertClose(await charmLogProbs(root, IDS), expected);

      const out = path.join(tmp.dir, 'exported');
      await exportModel({ model: root, format: 'tfjs-layers', out });
      assertClose(await exportedLogProbs(out), expected);
    });
  }
});
