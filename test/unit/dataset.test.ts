import * as assert from 'node:assert/strict';
import { CharDataset, sequentialBatches } from '../../src/training/dataset';
import { CharmError } from '../../src/errors';

const ids = Int32Array.from({ length: 1000 }, (_, i) => i);

describe('dataset', () => {
  it('holds out a contiguous tail for validation', () => {
    const d = new CharDataset(ids, { seqLength: 10, batchSize: 4, valFraction: 0.1, seed: 1 });
    assert.equal(d.train.length, 900);
    assert.equal(d.val.length, 100);
    assert.equal(d.val[0], 900);
    assert.equal(d.train[899], 899);
  });

  it('makes [batch, seq] inputs whose targets are shifted by one', () => {
    const d = new CharDataset(ids, { seqLength: 10, batchSize: 4, valFraction: 0.1, seed: 1 });
    const b = d.trainBatch(0, 0);
    assert.equal(b.inputs.length, 40);
    assert.equal(b.targets.length, 40);
    for (let k = 0; k < 40; k++) assert.equal(b.targets[k], b.inputs[k] + 1);
    for (let r = 0; r < 4; r++) {
      for (let k = 1; k < 10; k++) assert.equal(b.inputs[r * 10 + k], b.inputs[r * 10] + k, 'each row is a contiguous run');
      assert.ok(b.targets[r * 10 + 9] < 900, 'training batches never reach into the validation tail');
    }
  });

  it('shuffles with the seed: same seed same batches, another seed other batches', () => {
    const opts = { seqLength: 10, batchSize: 4, valFraction: 0.1 };
    const a = new CharDataset(ids, { ...opts, seed: 1 }).trainBatch(2, 3).inputs;
    const b = new CharDataset(ids, { ...opts, seed: 1 }).trainBatch(2, 3).inputs;
    const c = new CharDataset(ids, { ...opts, seed: 2 }).trainBatch(2, 3).inputs;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('covers each chunk once per epoch', () => {
    const d = new CharDataset(ids, { seqLength: 10, batchSize: 9, valFraction: 0.1, seed: 3 });
    const starts = new Set<number>();
    for (let k = 0; k < d.batchesPerEpoch; k++) {
      const b = d.trainBatch(0, k);
      for (let r = 0; r < 9; r++) starts.add(b.inputs[r * 10]);
    }
    assert.equal(starts.size, d.batchesPerEpoch * 9);
  });

  it('rejects a corpus shorter than one sequence', () => {
    assert.throws(
      () => new CharDataset(ids.subarray(0, 50), { seqLength: 100, batchSize: 4, valFraction: 0.1, seed: 1 }),
      (e: unknown) => e instanceof CharmError && /too short/.test(e.message),
    );
  });

  it('evaluation batches predict every character after the first exactly once', () => {
    const batches = [...sequentialBatches(ids.subarray(0, 95), 10, 4)];
    const predicted = batches.flatMap((b) => Array.from(b.targets));
    assert.deepEqual(
      predicted,
      Array.from({ length: 90 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      batches.map((b) => b.batchSize),
      [4, 4, 1],
    );
  });
});
