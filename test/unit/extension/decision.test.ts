import * as assert from 'node:assert/strict';
import { decide } from '../../../src/extension/completion/decision';

const lp = (...p: number[]) => p.map(Math.log);

describe('decision: how much of a continuation to show', () => {
  it('the probability of a suggestion is the joint probability of its characters', () => {
    const d = decide({ text: 'abc', logProbs: lp(0.9, 0.9, 0.9), next: '' }, 0.5, 'longest', 1);
    assert.equal(d?.text, 'abc');
    assert.ok(Math.abs((d?.probability ?? 0) - 0.729) < 1e-12);
  });

  it('never shows a prefix less likely than the threshold, and nothing when none is likely enough', () => {
    // 0.9, 0.72, 0.36: only "ab" reaches 0.5.
    assert.equal(decide({ text: 'abc', logProbs: lp(0.9, 0.8, 0.5), next: '' }, 0.5, 'longest', 1)?.text, 'ab');
    assert.equal(decide({ text: 'abc', logProbs: lp(0.4, 0.9, 0.9), next: '' }, 0.5, 'longest', 1), undefined);
    // The geometric mean of "abcdefghij" at 0.8 each is 0.8, its joint probability 0.107: not shown at 0.25.
    assert.equal(decide({ text: 'abcdefghij', logProbs: lp(...Array<number>(10).fill(0.8)), next: '' }, 0.25, 'longest', 1)?.text, 'abcdef');
  });

  it('"expected" shows the prefix that saves the most keystrokes in expectation', () => {
    // P(k) x (k - 1): "ab" 0.95, "abc" 0.5 x 2 = 1.0 ... "abcde" 0.45 x 4 = 1.8 beats the shorter ones.
    const logProbs = lp(0.95, 1, 0.5 / 0.95, 1, 0.9);
    assert.equal(decide({ text: 'abcde', logProbs, next: '' }, 0.3, 'expected', 1)?.text, 'abcde');
    // A sure short prefix beats longer unlikely ones: "ab" at 0.99 saves 0.99, "abc" at 0.45 x 2 = 0.89,
    // "abcd" at 0.31 x 3 = 0.94.
    assert.equal(decide({ text: 'abcd', logProbs: lp(1, 0.99, 0.45, 0.7), next: '' }, 0.3, 'expected', 1)?.text, 'ab');
  });

  it('token rules never cut inside a word; the plain rules may', () => {
    const input = { text: 'foo.barBaz', logProbs: lp(1, 1, 1, 1, 1, 1, 1, 0.5, 1, 1), next: '(' };
    assert.equal(decide(input, 0.6, 'longest', 1)?.text, 'foo.bar');
    assert.equal(decide(input, 0.6, 'longest-token', 1)?.text, 'foo.');
    assert.equal(decide({ ...input, next: 'x' }, 0.4, 'longest-token', 1)?.text, 'foo.', 'the end is inside a word too');
    assert.equal(decide(input, 0.4, 'longest-token', 1)?.text, 'foo.barBaz');
  });

  it('shows nothing that saves nothing: a single character, or blanks only at the end', () => {
    assert.equal(decide({ text: 'a', logProbs: lp(1), next: '' }, 0.5, 'longest', 1), undefined);
    assert.equal(decide({ text: 'ab  ', logProbs: lp(1, 1, 1, 1), next: '' }, 0.5, 'longest', 1)?.text, 'ab');
  });

  it('states the calibrated chance of being right: the joint probability raised to the calibration exponent', () => {
    const d = decide({ text: 'abcd', logProbs: lp(0.8, 0.8, 0.8, 0.8), next: '' }, 0.5, 'longest', 0.5);
    assert.equal(d?.text, 'abcd');
    assert.ok(Math.abs((d?.probability ?? 0) - Math.sqrt(0.8 ** 4)) < 1e-12);
    assert.equal(decide({ text: 'abcd', logProbs: lp(0.8, 0.8, 0.8, 0.8), next: '' }, 0.5, 'longest', 1)?.text, 'abc');
  });

  it('counts UTF-16 units for the saving, code points for the probabilities', () => {
    const d = decide({ text: '😀x', logProbs: lp(0.9, 0.9), next: '' }, 0.5, 'expected', 1);
    assert.equal(d?.text, '😀x');
  });
});
