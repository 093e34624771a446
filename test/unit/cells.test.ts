import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from '../../src/cli/args';
import { TRAIN_FLAGS } from '../../src/cli/train';
import { CharmError } from '../../src/errors';
import { initBackend } from '../../src/accel';
import { CELL_NAMES, CELLS, cellSpec } from '../../src/model/cells';
import { CharModel, disposeState, weightSpecs } from '../../src/model/charModel';
import { ModelConfig, parameterCount, validateModelConfig } from '../../src/model/config';

const configOf = (cell: ModelConfig['cell'], layers = 2): ModelConfig => ({ cell, vocabSize: 9, embedding: 6, units: 8, layers });

describe('recurrent cells (the registry in src/model/cells)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('describes every cell consistently: one initial value per gate in every bias row', () => {
    assert.deepEqual(CELL_NAMES, Object.keys(CELLS));
    for (const [name, spec] of Object.entries(CELLS)) {
      assert.ok(spec.initialBias.length === 1 || spec.initialBias.length === 2, name);
      for (const row of spec.initialBias) assert.equal(row.length, spec.gates.length, name);
      assert.equal(cellSpec(name), spec);
    }
  });

  it('lays out weights as Keras does: names, shapes and bias rows per cell', () => {
    const shapes = (cell: ModelConfig['cell']) => weightSpecs(configOf(cell)).map((s) => `${s.name} [${s.shape.join(', ')}]`);
    assert.deepEqual(shapes('lstm'), [
      'embedding/embeddings [9, 6]',
      'lstm/kernel [6, 32]',
      'lstm/recurrent_kernel [8, 32]',
      'lstm/bias [32]',
      'lstm_1/kernel [8, 32]',
      'lstm_1/recurrent_kernel [8, 32]',
      'lstm_1/bias [32]',
      'dense/kernel [8, 9]',
      'dense/bias [9]',
    ]);
    assert.deepEqual(shapes('gru'), [
      'embedding/embeddings [9, 6]',
      'gru/kernel [6, 24]',
      'gru/recurrent_kernel [8, 24]',
      'gru/bias [2, 24]',
      'gru_1/kernel [8, 24]',
      'gru_1/recurrent_kernel [8, 24]',
      'gru_1/bias [2, 24]',
      'dense/kernel [8, 9]',
      'dense/bias [9]',
    ]);
    // reset_after = false: Keras' GRU names, one bias row.
    assert.deepEqual(shapes('gru-reset-before'), [
      'embedding/embeddings [9, 6]',
      'gru/kernel [6, 24]',
      'gru/recurrent_kernel [8, 24]',
      'gru/bias [24]',
      'gru_1/kernel [8, 24]',
      'gru_1/recurrent_kernel [8, 24]',
      'gru_1/bias [24]',
      'dense/kernel [8, 9]',
      'dense/bias [9]',
    ]);
  });

  for (const cell of CELL_NAMES) {
    it(`counts the parameters a ${cell} model holds`, () => {
      const model = CharModel.create(configOf(cell), 2);
      try {
        assert.equal(parameterCount(model.config), model.parameterCount);
      } finally {
        model.dispose();
      }
    });

    it(`gives the same logits in training and in stateful evaluation (${cell})`, () => {
      const model = CharModel.create(configOf(cell), 4);
      const state = model.zeroState(2);
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 4, 5],
          [8, 7, 6, 5, 0],
        ],
        [2, 5],
        'int32',
      );
      try {
        const all = model.logits(ids);
        const out = model.advance(ids, state);
        // logits are time-major: the last step's rows are the last two.
        const last = tf.slice(all, [8, 0], [2, 9]);
        assert.ok(tf.max(tf.abs(tf.sub(last, out.logits))).dataSync()[0] < 1e-5);
        assert.equal(out.state.length, 2);
        assert.equal(out.state[0].c !== undefined, cellSpec(cell).hasCellState);
        tf.dispose([all, out.logits, last]);
        disposeState(out.state);
      } finally {
        ids.dispose();
        disposeState(state);
        model.dispose();
      }
    });
  }

  it('starts the LSTM forget gate open (bias 1) and every other bias at 0', () => {
    const lstm = CharModel.create(configOf('lstm', 1), 1);
    const gru = CharModel.create(configOf('gru', 1), 1);
    try {
      const u = 8;
      const expected = [...new Array<number>(u).fill(0), ...new Array<number>(u).fill(1), ...new Array<number>(2 * u).fill(0)];
      assert.deepEqual(Array.from(lstm.weight('lstm/bias').dataSync()), expected);
      assert.deepEqual(Array.from(gru.weight('gru/bias').dataSync()), Array(2 * 3 * u).fill(0));
    } finally {
      lstm.dispose();
      gru.dispose();
    }
  });

  it('rejects an unknown cell with one line naming the cells there are', () => {
    const bad = { ...configOf('lstm'), cell: 'rnn' } as unknown as ModelConfig;
    assert.throws(
      () => validateModelConfig(bad),
      (e: Error) => e instanceof CharmError && e.message === 'Unknown cell "rnn": expected lstm, gru or gru-reset-before',
    );
    assert.throws(() => cellSpec('toString'), CharmError);
    assert.throws(
      () => parseArgs(['train', 'x', '--cell', 'rnn'], TRAIN_FLAGS),
      /^CharmError: Option --cell expects one of lstm, gru, gru-reset-before, got "rnn"$/,
    );
    assert.equal(parseArgs(['train', 'x', '--cell', 'gru'], TRAIN_FLAGS).flags.cell, 'gru');
  });
});
