import * as assert from 'node:assert/strict';
import { ticks } from '../../../../src/extension/modelView/lossChart';

describe('loss chart ticks', () => {
  it('are round numbers covering the range', () => {
    assert.deepEqual(ticks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(ticks(1.13, 4.87, 5), [2, 3, 4]);
    assert.deepEqual(ticks(1.13, 2.87, 5), [1.5, 2, 2.5]);
    assert.deepEqual(ticks(0, 12_000, 6), [0, 2000, 4000, 6000, 8000, 10_000, 12_000]);
    assert.deepEqual(ticks(1, 101, 4), [25, 50, 75, 100]);
  });

  it('are written without floating-point noise', () => {
    for (const v of ticks(0.1, 0.7, 6)) assert.ok(String(v).length <= 4, String(v));
  });

  it('are the one value of an empty or inverted range', () => {
    assert.deepEqual(ticks(2, 2, 5), [2]);
    assert.deepEqual(ticks(3, 1, 5), [3]);
  });
});
