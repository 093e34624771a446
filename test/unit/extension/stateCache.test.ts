import * as assert from 'node:assert/strict';
import { StateCache } from '../../../src/extension/inference/stateCache';

/** States are just the text fed so far: easy to check what a match would produce. */
function cache(maxDocuments = 4, maxPerDocument = 4) {
  return new StateCache<{ fed: string }>({ copy: (s) => ({ ...s }), maxDocuments, maxPerDocument });
}

describe('StateCache (per-document LSTM states)', () => {
  it('hits exactly at a remembered position and returns a copy', () => {
    const c = cache();
    const state = { fed: 'hello' };
    c.remember('a', 'hello', 5, state);
    const m = c.find('a', 'hello', 5, 8);
    assert.deepEqual(m && { delta: m.delta, from: m.from }, { delta: '', from: 5 });
    assert.notEqual(m?.state, state);
    assert.deepEqual(m?.state, state);
  });

  it('advances by the characters typed since a remembered position', () => {
    const c = cache();
    c.remember('a', 'hello', 5, { fed: 'hello' });
    assert.equal(c.find('a', 'hello ', 6, 8)?.delta, ' ');
    assert.equal(c.find('a', 'hello wo', 8, 8)?.delta, ' wo');
  });

  it('works with windows bounded from the left (the window slides as you type)', () => {
    const c = cache();
    c.remember('a', 'abcdef', 106, { fed: '...abcdef' });
    // window of 6 at offset 107: the first character fell out of the window.
    assert.equal(c.find('a', 'bcdefg', 107, 8)?.delta, 'g');
  });

  it('misses when the text before the cursor differs (an edit elsewhere in the window)', () => {
    const c = cache();
    c.remember('a', 'hello', 5, { fed: 'hello' });
    assert.equal(c.find('a', 'jello!', 6, 8), undefined);
    assert.equal(c.find('a', 'hellp', 5, 8), undefined, 'same offset, other text');
  });

  it('misses beyond maxAdvance and before the remembered position without an entry there', () => {
    const c = cache();
    c.remember('a', 'hello', 5, { fed: 'hello' });
    assert.equal(c.find('a', 'hello world', 11, 4), undefined);
    assert.equal(c.find('a', 'hell', 4, 8), undefined);
  });

  it('lands on an earlier remembered position after Backspace', () => {
    const c = cache();
    c.remember('a', 'hell', 4, { fed: 'hell' });
    c.remember('a', 'hello', 5, { fed: 'hello' });
    c.remember('a', 'hellox', 6, { fed: 'hellox' });
    const m = c.find('a', 'hello', 5, 8);
    assert.deepEqual(m && { delta: m.delta, state: m.state }, { delta: '', state: { fed: 'hello' } });
  });

  it('prefers the latest usable position', () => {
    const c = cache();
    c.remember('a', 'he', 2, { fed: 'he' });
    c.remember('a', 'hell', 4, { fed: 'hell' });
    assert.equal(c.find('a', 'hello', 5, 8)?.from, 4);
  });

  it('keeps documents apart and forgets the least recently used ones', () => {
    const c = cache(2, 4);
    c.remember('a', 'x', 1, { fed: 'a' });
    c.remember('b', 'x', 1, { fed: 'b' });
    assert.equal(c.find('a', 'x', 1, 4)?.state.fed, 'a'); // touches a
    c.remember('c', 'x', 1, { fed: 'c' }); // evicts b
    assert.equal(c.find('b', 'x', 1, 4), undefined);
    assert.equal(c.find('a', 'x', 1, 4)?.state.fed, 'a');
    assert.equal(c.documentCount, 2);
    c.forget('a');
    assert.equal(c.find('a', 'x', 1, 4), undefined);
  });

  it('bounds the positions per document', () => {
    const c = cache(2, 2);
    c.remember('a', 'a', 1, { fed: 'a' });
    c.remember('a', 'ab', 2, { fed: 'ab' });
    c.remember('a', 'abc', 3, { fed: 'abc' });
    assert.equal(c.find('a', 'a', 1, 4), undefined);
    assert.equal(c.find('a', 'ab', 2, 4)?.delta, '');
  });
});
