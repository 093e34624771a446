/**
 * charm import of Keras files in the layouts of kerasFiles.ts: Keras 2 .h5 (a Functional model
 * with Dropout), Keras 3 legacy .h5 (the book's stateful, fixed-batch Sequential), a Keras 3
 * .keras archive (TimeDistributed softmax Dense), and a GRU with reset_after checked against the
 * Keras GRU's equations. The LSTM fixtures carry the weights of a tfjs-layers model, whose predict is the reference.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/accel';
import { importModel } from '../../../src/interop/importModel';
import { loadCheckpoint } from '../../../src/training/checkpoint';
import { SeededRandom } from '../../../src/util/random';
import { tempDir, writeFiles } from '../helpers';
import { assertClose, charModel, charmLogProbs, IDS, kerasOutputs, logSoftmaxRows, randomizeWeights, TEXT, VOCAB } from './fixtures';
import { keras3Layer, LayerWeights, writeKerasH5, writeKerasZip } from './kerasFiles';

const E = 5;
const U = 6;

type Weight = { shape: number[]; data: Float32Array };

function values(model: tf.LayersModel): Weight[] {
  return model.getWeights().map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
}

function named(layer: string, names: string[], weights: Weight[]): LayerWeights {
  return { layer, weights: names.map((name, k) => ({ name, ...weights[k] })) };
}

describe('charm import: Keras .h5 and .keras files', () => {
  let tmp: ReturnType<typeof tempDir>;
  let keras: tf.LayersModel;
  let w: Weight[];
  let expected: number[][];
  const vocabulary = () => ({ kind: 'from-text' as const, path: path.join(tmp.dir, 'corpus.txt') });

  before(async () => {
    await initBackend('cpu');
    keras = charModel({ units: U });
    randomizeWeights(keras, 21);
    w = values(keras);
    expected = logSoftmaxRows(kerasOutputs(keras, {}));
  });
  after(() => keras.dispose());
  beforeEach(() => {
    tmp = tempDir('charm-import-keras-');
    writeFiles(tmp.dir, { 'corpus.txt': TEXT });
  });
  afterEach(() => tmp.cleanup());

  it('Keras 2 (tf.keras): a Functional model with Dropout, weights named lstm/lstm_cell/kernel:0', async () => {
    const node = (from: string) => [[[from, 0, 0, {}]]];
    const config = {
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          { class_name: 'InputLayer', name: 'input_1', config: { name: 'input_1', batch_input_shape: [null, null], dtype: 'float32' }, inbound_nodes: [] },
          { class_name: 'Embedding', name: 'embedding', config: { name: 'embedding', input_dim: VOCAB, output_dim: E }, inbound_nodes: node('input_1') },
          {
            class_name: 'LSTM',
            name: 'lstm',
            config: { name: 'lstm', units: U, return_sequences: true, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true },
            inbound_nodes: node('embedding'),
          },
          { class_name: 'Dropout', name: 'dropout', config: { name: 'dropout', rate: 0.2 }, inbound_nodes: node('lstm') },
          { class_name: 'Dense', name: 'dense', config: { name: 'dense', units: VOCAB, activation: 'linear' }, inbound_nodes: node('dropout') },
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    };
    const file = path.join(tmp.dir, 'm.h5');
    await writeKerasH5(file, {
      kerasVersion: '2.15.0',
      modelConfig: config,
      layerNames: ['input_1', 'embedding', 'lstm', 'dropout', 'dense'],
      layers: [
        named('embedding', ['embedding/embeddings:0'], w.slice(0, 1)),
        named('lstm', ['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'], w.slice(1, 4)),
        named('dense', ['dense/kernel:0', 'dense/bias:0'], w.slice(4)),
      ],
    });
    const out = path.join(tmp.dir, 'charm');
    await importModel({ file, out, vocabulary: vocabulary() });
    assertClose(await charmLogProbs(out, IDS), expected);
    const { meta, model } = await loadCheckpoint(out);
    model.dispose();
    assert.deepEqual([meta.source?.format, meta.source?.kerasVersion, meta.source?.outputActivation], ['keras-h5', '2.15.0', 'linear']);
  });

  it("Keras 3 legacy .h5: the book's stateful Sequential with a fixed batch (ignored), weights named .../lstm_cell/kernel", async () => {
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          keras3Layer('InputLayer', { name: 'input_layer', batch_shape: [64, null], dtype: 'int32' }),
          keras3Layer('Embedding', { name: 'embedding', input_dim: VOCAB, output_dim: E }),
          keras3Layer('LSTM', { name: 'lstm', units: U, return_sequences: true, stateful: true, activation: 'tanh', recurrent_activation: 'sigmoid' }),
          keras3Layer('Dense', { name: 'dense', units: VOCAB, activation: null }),
        ],
      },
      registered_name: null,
    };
    const file = path.join(tmp.dir, 'book.h5');
    await writeKerasH5(file, {
      kerasVersion: '3.3.3',
      modelConfig: config,
      layerNames: ['embedding', 'lstm', 'dense'],
      layers: [
        named('embedding', ['embedding/embeddings'], w.slice(0, 1)),
        named('lstm', ['lstm/lstm_cell/kernel', 'lstm/lstm_cell/recurrent_kernel', 'lstm/lstm_cell/bias'], w.slice(1, 4)),
        named('dense', ['dense/kernel', 'dense/bias'], w.slice(4)),
      ],
    });
    const out = path.join(tmp.dir, 'charm');
    await importModel({ file, out, vocabulary: vocabulary() });
    assertClose(await charmLogProbs(out, IDS), expected);
  });

  it('Keras 3 .keras: weights by position (layers/lstm/cell/vars/0), TimeDistributed softmax Dense', async () => {
    const dense = keras3Layer('Dense', { name: 'dense', units: VOCAB, activation: 'softmax' });
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          keras3Layer('InputLayer', { name: 'input_layer', batch_shape: [null, null], dtype: 'int32' }),
          keras3Layer('Embedding', { name: 'embedding', input_dim: VOCAB, output_dim: E }),
          keras3Layer('LSTM', { name: 'lstm', units: U, return_sequences: true, activation: 'tanh', recurrent_activation: 'sigmoid' }),
          keras3Layer('Dropout', { name: 'dropout', rate: 0.1 }),
          keras3Layer('TimeDistributed', { name: 'time_distributed', layer: dense }),
        ],
      },
    };
    const file = path.join(tmp.dir, 'm.keras');
    await writeKerasZip(file, {
      config,
      vars: { embedding: w.slice(0, 1), 'lstm/cell': w.slice(1, 4), 'time_distributed/layer': w.slice(4) },
      scratch: path.join(tmp.dir, 'weights.h5'),
    });
    const out = path.join(tmp.dir, 'charm');
    await importModel({ file, out, vocabulary: vocabulary() });
    // Softmax kept as logits: Charm's log_softmax equals log of the model's probabilities.
    assertClose(await charmLogProbs(out, IDS), expected);
    const { meta, model } = await loadCheckpoint(out);
    model.dispose();
    assert.deepEqual([meta.source?.format, meta.source?.outputActivation, meta.source?.kerasVersion], ['keras', 'softmax', '3.3.3']);
  });

  it("a GRU with reset_after (bias [2, 3U]) from a Keras 2 .h5 computes Keras' GRU equations", async () => {
    const rng = new SeededRandom(9);
    const random = (shape: number[]): Weight => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5) });
    const [emb, kernel, rec, bias, dk, db] = [
      random([VOCAB, E]),
      random([E, 3 * U]),
      random([U, 3 * U]),
      random([2, 3 * U]),
      random([U, VOCAB]),
      random([VOCAB]),
    ];
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'Embedding', config: { name: 'embedding', input_dim: VOCAB, output_dim: E, batch_input_shape: [null, null] } },
          { class_name: 'GRU', config: { name: 'gru', units: U, return_sequences: true, reset_after: true, recurrent_activation: 'sigmoid' } },
          { class_name: 'Dense', config: { name: 'dense', units: VOCAB } },
        ],
      },
    };
    const file = path.join(tmp.dir, 'gru.h5');
    await writeKerasH5(file, {
      kerasVersion: '2.15.0',
      modelConfig: config,
      layerNames: ['embedding', 'gru', 'dense'],
      layers: [
        named('embedding', ['embedding/embeddings:0'], [emb]),
        named('gru', ['gru/gru_cell/kernel:0', 'gru/gru_cell/recurrent_kernel:0', 'gru/gru_cell/bias:0'], [kernel, rec, bias]),
        named('dense', ['dense/kernel:0', 'dense/bias:0'], [dk, db]),
      ],
    });
    const out = path.join(tmp.dir, 'charm');
    await importModel({ file, out, vocabulary: vocabulary() });
    // Keras' GRUCell with reset_after: x = e W + b_in, r = h R + b_rec; z, r gates, then h~ = tanh(x_h + r * r_h).
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    let h = new Array<number>(U).fill(0);
    const reference: number[][] = [];
    for (const id of IDS) {
      const e = Array.from({ length: E }, (_, j) => emb.data[id * E + j]);
      const xw = Array.from({ length: 3 * U }, (_, c) => e.reduce((s, x, j) => s + x * kernel.data[j * 3 * U + c], bias.data[c]));
      const hr = Array.from({ length: 3 * U }, (_, c) => h.reduce((s, x, j) => s + x * rec.data[j * 3 * U + c], bias.data[3 * U + c]));
      h = h.map((prev, j) => {
        const z = sig(xw[j] + hr[j]);
        const r = sig(xw[U + j] + hr[U + j]);
        const cand = Math.tanh(xw[2 * U + j] + r * hr[2 * U + j]);
        return z * prev + (1 - z) * cand;
      });
      reference.push(Array.from({ length: VOCAB }, (_, v) => h.reduce((s, x, j) => s + x * dk.data[j * VOCAB + v], db.data[v])));
    }
    assertClose(await charmLogProbs(out, IDS), logSoftmaxRows(reference), 1e-5);
  });

  it("maps Keras 3's hard_sigmoid to hard_sigmoid_keras3 and Keras 2's to hard_sigmoid", async () => {
    for (const [version, activation] of [
      ['3.3.3', 'hard_sigmoid_keras3'],
      ['2.15.0', 'hard_sigmoid'],
    ]) {
      const config = {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'Embedding', config: { name: 'embedding', input_dim: VOCAB, output_dim: E } },
            { class_name: 'LSTM', config: { name: 'lstm', units: U, return_sequences: true, recurrent_activation: 'hard_sigmoid' } },
            { class_name: 'Dense', config: { name: 'dense', units: VOCAB } },
          ],
        },
      };
      const file = path.join(tmp.dir, `hard-${version}.h5`);
      await writeKerasH5(file, {
        kerasVersion: version,
        modelConfig: config,
        layerNames: ['embedding', 'lstm', 'dense'],
        layers: [named('embedding', ['e'], w.slice(0, 1)), named('lstm', ['k', 'r', 'b'], w.slice(1, 4)), named('dense', ['k', 'b'], w.slice(4))],
      });
      const out = path.join(tmp.dir, `charm-${version}`);
      const { meta } = await importModel({ file, out, vocabulary: vocabulary() });
      assert.equal(meta.model.recurrentActivation, activation);
    }
  });

  it('clear errors: weights-only files, bidirectional layers, branching models, mismatched stacks', async () => {
    let n = 0;
    const attempt = async (modelConfig: object | null) => {
      const h5 = path.join(tmp.dir, `bad-${n++}.h5`);
      await writeKerasH5(h5, { kerasVersion: '2.15.0', modelConfig, layerNames: [], layers: [] });
      return importModel({ file: h5, out: path.join(tmp.dir, 'never'), vocabulary: vocabulary() });
    };
    await assert.rejects(attempt(null), /has no model_config: it holds weights only \(model\.save_weights\)/);
    await assert.rejects(attempt({ class_name: 'Graph' }), /the model is a Graph; Charm imports Sequential models/);
    const seq = (layers: object[]) => ({ class_name: 'Sequential', config: { layers } });
    await assert.rejects(
      attempt(
        seq([
          { class_name: 'Embedding', config: { name: 'embedding' } },
          { class_name: 'Bidirectional', config: { name: 'bidirectional' } },
        ]),
      ),
      /layer "bidirectional" \(Bidirectional\) is not supported\. Charm imports Embedding, LSTM, GRU/,
    );
    await assert.rejects(
      attempt(
        seq([
          { class_name: 'LSTM', config: { name: 'lstm', units: 4, return_sequences: true } },
          { class_name: 'GRU', config: { name: 'gru', units: 4, return_sequences: true } },
          { class_name: 'Dense', config: { name: 'dense', units: 3 } },
        ]),
      ),
      /layer "gru" \(GRU\) differs from "lstm"/,
    );
    await assert.rejects(
      attempt(seq([{ class_name: 'LSTM', config: { name: 'lstm', units: 4, activation: 'relu' } }])),
      /layer "lstm" \(LSTM\) has activation relu; only tanh is supported/,
    );
    const branching = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'InputLayer', name: 'a', config: {}, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'b', config: {}, inbound_nodes: [] },
          {
            class_name: 'Concatenate',
            name: 'c',
            config: {},
            inbound_nodes: [
              [
                ['a', 0, 0, {}],
                ['b', 0, 0, {}],
              ],
            ],
          },
        ],
      },
    };
    await assert.rejects(attempt(branching), /layer "b" does not simply follow the previous layer/);
  });
});
