import * as assert from 'node:assert/strict';
import { isLanguageEnabled } from '../../../src/extension/completion/languages';

describe('charm.inlineCompletions.languages', () => {
  it('is on for every language by default', () => {
    assert.equal(isLanguageEnabled({ '*': true }, 'python'), true);
    assert.equal(isLanguageEnabled(undefined, 'python'), true);
    assert.equal(isLanguageEnabled({}, 'python'), true);
  });

  it('turns off only the languages set to false; the others stay on', () => {
    const map = { markdown: false };
    assert.equal(isLanguageEnabled(map, 'markdown'), false);
    assert.equal(isLanguageEnabled(map, 'typescript'), true);
  });

  it('listing one language as true does not turn the others off', () => {
    assert.equal(isLanguageEnabled({ python: true }, 'typescript'), true);
  });

  it('"*": false turns everything off except the languages set to true', () => {
    const map = { '*': false, python: true };
    assert.equal(isLanguageEnabled(map, 'python'), true);
    assert.equal(isLanguageEnabled(map, 'typescript'), false);
  });

  it('ignores values that are not booleans and inherited keys', () => {
    assert.equal(isLanguageEnabled({ python: 'no' }, 'python'), true);
    assert.equal(isLanguageEnabled({ '*': false }, 'toString'), false);
  });
});
