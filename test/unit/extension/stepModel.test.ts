import * as assert from 'node:assert/strict';
import { initBackend } from '../../../src/model/backend';
import { CharModel, weightSpecs } from '../../../src/model/charModel';
import { ModelConfig } from '../../../src/model/config';
import { Generator } from '../../../src/model/sampler';
import { jsMatVec, MatVecFactory } from '../../../src/extension/inference/matVec';
import { copyState, StepModel } from '../../../src/extension/inference/stepModel';
import { tfjsMatVec } from '../../../src/extension/inference/tfjsMatVec';
import { wasmMatVec } from '../../../src/model/kernels/wasmMatVec';

const codec = {
  size: 12,
  unknownId: 0,
  encode: (t: string) => Int32Array.from(Array.from(t, (c) => 1 + (c.charCodeAt(0) % 11))),
  decode: (ids: ArrayLike<number>) => Array.from(ids as number[], (i) => String.fromCharCode(96 + i)).join(''),
};

function weightsOf(model: CharModel): Map<string, Float32Array> {
  const vars = model.variables;
  return new Map(weightSpecs(model.config).map((s, k) => [s.name, Float32Array.from(vars[k].dataSync() as Float32Array)]));
}

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
];

const MATVECS: [string, MatVecFactory][] = [['plain JavaScript', jsMatVec], ['tfjs', tfjsMatVec], ['WebAssembly SIMD', wasmMatVec]];

describe('StepModel (single-sequence steps outside tfjs ops)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const [label, config] of CONFIGS) {
    for (const [mvLabel, mv] of MATVECS) {
      it(`gives the engine's logits at every step (${label}, ${mvLabel} products)`, () => {
        const model = CharModel.create(config, 7);
        const step = new StepModel(config, weightsOf(model), mv);
        const gen = new Generator(model, codec);
        try {
          const state = step.zeroState();
          const ids = codec.encode('hello, world: a longer text to carry state');
          for (let k = 0; k < ids.length; k++) {
            gen.feedIds(Int32Array.of(ids[k]));
            step.step(ids[k], state);
            assert.ok(maxDiff(state.logits as Float32Array, gen.nextLogits()) < 1e-4, `step ${k}`);
          }
        } finally {
          gen.dispose();
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
