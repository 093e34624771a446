import * as assert from 'node:assert/strict';
import { decode, prime } from '../../../src/extension/inference/decode';
import type { StepModel, StepState } from '../../../src/model/stepModel';

/**
 * A scripted model over the alphabet "\nab": after each step the next distribution is the next
 * entry of `script` (probabilities), so greedy decoding picks its most likely symbol.
 */
function scripted(script: number[][]): { model: StepModel; state: StepState } {
  let k = 0;
  const state: StepState = { h: [], c: [], rec: [], logits: null };
  const fake = {
    step(_id: number, s: StepState) {
      const p = script[Math.min(k++, script.length - 1)];
      s.logits = Float32Array.from(p, Math.log);
    },
    feed(ids: ArrayLike<number>, s: StepState) {
      for (let i = 0; i < ids.length; i++) fake.step(ids[i], s);
    },
  };
  // A structural stand-in: decode only calls step/feed and reads state.logits.
  return { model: fake as unknown as StepModel, state };
}

const ALPHABET = ['\uFFFD', '\n', 'a', 'b'];
const codec = {
  unknownId: 0,
  encode: (t: string) => Int32Array.from(Array.from(t, (c) => Math.max(1, ALPHABET.indexOf(c)))),
  decode: (ids: ArrayLike<number>) => Array.from(ids as number[], (i) => ALPHABET[i]).join(''),
};
const never = () => false;
const SURE_A = [0.001, 0.001, 0.9, 0.098];
const NEWLINE = [0.001, 0.9, 0.05, 0.049];

describe('decode (sampling in the inference process)', () => {
  it('generates up to maxChars, with one log-probability per character', async () => {
    const { model, state } = scripted([SURE_A]);
    const r = await decode(model, codec, state, { maxChars: 5, temperature: 0, seed: 1, stopAtNewline: true }, never);
    assert.deepEqual([r?.text, r?.stoppedBy, r?.logProbs.length], ['aaaaa', 'length', 5]);
    // The unknown symbol is never emitted, so probabilities are renormalised without it.
    assert.ok(Math.abs((r?.logProbs[0] ?? 0) - Math.log(0.9 / 0.999)) < 1e-6);
  });

  it('stops at a newline when asked, without including it', async () => {
    const { model, state } = scripted([SURE_A, SURE_A, NEWLINE, SURE_A]);
    const r = await decode(model, codec, state, { maxChars: 10, temperature: 0, seed: 1, stopAtNewline: true }, never);
    assert.deepEqual([r?.text, r?.stoppedBy], ['aa', 'newline']);
  });

  it('gives up (undefined) when cancelled, in priming and in sampling', async () => {
    const { model, state } = scripted([SURE_A]);
    assert.equal(await prime(model, codec, state, 'a'.repeat(100), () => true), false);
    let calls = 0;
    const r = await decode(model, codec, state, { maxChars: 1000, temperature: 0, seed: 1, stopAtNewline: false }, () => ++calls > 20);
    assert.equal(r, undefined);
  });
});
