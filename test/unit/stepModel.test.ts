import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/accel';
import { CharModel, disposeState, RecurrentState } from '../../src/model/charModel';
import { ModelConfig } from '../../src/model/config';
import { jsMatVec } from '../../src/accel/matVec/jsMatVec';
import { tfjsMatVec } from '../../src/accel/matVec/tfjsMatVec';
import type { MatVecFactory } from '../../src/accel';
import { wasmMatVec } from '../../src/accel/simd/wasmMatVec';
import { copyState, StepModel } from '../../src/model/stepModel';

const codec = {
  size: 12,
  unknownId: 0,
  encode: (t: string) => Int32Array.from(Array.from(t, (c) => 1 + (c.charCodeAt(0) % 11))),
  decode: (ids: ArrayLike<number>) => Array.from(ids as number[], (i) => String.fromCharCode(96 + i)).join(''),
};

const weightsOf = (model: CharModel) => model.weightValues();

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CONFIGS: [string, ModelConfig][] = [
  ['LSTM, 1 layer', { cell: 'lstm', vocabSize: 12, embedding: 8, units: 16, layers: 1 }],
  ['LSTM, 2 layers', { cell: 'lstm', vocabSize: 12, embedding: 8, units: 16, layers: 2 }],
  ['GRU, 2 layers', { cell: 'gru', vocabSize: 12, embedding: 8, units: 16, layers: 2 }],
  ['GRU reset_after=false, 2 layers', { cell: 'gru-reset-before', vocabSize: 12, embedding: 8, units: 16, layers: 2 }],
  [
    'LSTM, hard_sigmoid_keras3 gates, 2 layers',
    { cell: 'lstm', vocabSize: 12, embedding: 8, units: 16, layers: 2, recurrentActivation: 'hard_sigmoid_keras3' },
  ],
];

const MATVECS: [string, MatVecFactory][] = [
  ['plain JavaScript', jsMatVec],
  ['tfjs', tfjsMatVec],
  ['WebAssembly SIMD', wasmMatVec],
];

describe('StepModel (single-sequence steps outside tfjs ops)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const [label, config] of CONFIGS) {
    for (const [mvLabel, mv] of MATVECS) {
      it(`gives CharModel.advance's logits at every step (${label}, ${mvLabel} products)`, () => {
        const model = CharModel.create(config, 7);
        const step = new StepModel(config, weightsOf(model), mv);
        let reference: RecurrentState = model.zeroState(1);
        try {
          const state = step.zeroState();
          const ids = codec.encode('hello, world: a longer text to carry state');
          for (let k = 0; k < ids.length; k++) {
            const input = tf.tensor2d([ids[k]], [1, 1], 'int32');
            const out = model.advance(input, reference);
            input.dispose();
            disposeState(reference);
            reference = out.state;
            const expected = out.logits.dataSync() as Float32Array;
            out.logits.dispose();
            step.step(ids[k], state);
            assert.ok(maxDiff(state.logits as Float32Array, expected) < 1e-4, `step ${k}`);
          }
        } finally {
          disposeState(reference);
          step.dispose();
          model.dispose();
        }
      });
    }
  }

  it('copies states independently (a snapshot does not move with the original)', () => {
    const config = CONFIGS[0][1];
    const model = CharModel.create(config, 3);
    const step = new StepModel(config, weightsOf(model), jsMatVec);
    const a = step.zeroState();
    step.feed(codec.encode('abc'), a);
    const b = copyState(a);
    step.step(2, a);
    assert.ok(maxDiff(a.h[0], b.h[0]) > 0);
    const c = copyState(b);
    step.step(2, c);
    assert.deepEqual(Array.from(c.logits as Float32Array), Array.from(a.logits as Float32Array));
    model.dispose();
  });

  it('rejects missing weights and ids outside the vocabulary', () => {
    const config = CONFIGS[0][1];
    const model = CharModel.create(config, 3);
    const weights = weightsOf(model);
    model.dispose();
    const step = new StepModel(config, weights, jsMatVec);
    assert.throws(() => step.step(12, step.zeroState()), RangeError);
    weights.delete('dense/bias');
    assert.throws(() => new StepModel(config, weights, jsMatVec), /missing weight dense\/bias/);
  });
});
