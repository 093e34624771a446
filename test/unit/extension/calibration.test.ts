import * as assert from 'node:assert/strict';
import { Calibration } from '../../../src/extension/completion/calibration';
import { SeededRandom } from '../../../src/util/random';

describe('calibration learned from what the user types', () => {
  it('decides a shown suggestion from the text typed after it: right when all of it follows', () => {
    const c = new Calibration(0.5, 0.5);
    c.shown('d', 10, 'xxxxxxxxxx', 'abc', Math.log(0.5));
    c.observe('d', 11, 'xxxxxxxxxxa');
    assert.equal(c.observed, 0, 'still open after one matching character');
    c.observe('d', 13, 'xxxxxxxxxxabc');
    assert.equal(c.observed, 1);
    c.shown('d', 13, 'xxxxxxxxxxabc', 'def', Math.log(0.5));
    c.observe('d', 14, 'xxxxxxxxxxabcz');
    assert.equal(c.observed, 2, 'a different character decides it at once');
    c.shown('d', 14, 'xxxxxxxxxxabcz', 'ghi', Math.log(0.5));
    c.observe('d', 2, 'xx');
    c.observe('d', 20, 'x'.repeat(20));
    assert.equal(c.observed, 2, 'a jump back forgets it');
  });

  it('learns the exponent that makes the stated probabilities come true, starting from the prior', () => {
    // Suggestions whose joint probability is q come true with probability q^0.8.
    const c = new Calibration(0.5);
    assert.equal(c.exponent, 0.5);
    const rng = new SeededRandom(3);
    let offset = 0;
    for (let k = 0; k < 2000; k++) {
      const q = 0.1 + 0.8 * rng.next();
      const right = rng.next() < Math.pow(q, 0.8);
      c.shown('d', offset, '', 'ab', Math.log(q));
      offset += 2;
      c.observe('d', offset, right ? 'ab' : 'zz');
    }
    assert.ok(Math.abs(c.exponent - 0.8) < 0.08, `exponent ${c.exponent}`);
  });

  it('keeps a fixed exponent when asked to (the benchmark ablation)', () => {
    const c = new Calibration(0.5, 0.7);
    for (let k = 0; k < 100; k++) {
      c.shown('d', 2 * k, '', 'ab', Math.log(0.5));
      c.observe('d', 2 * k + 2, 'ab');
    }
    assert.equal(c.exponent, 0.7);
  });
});
