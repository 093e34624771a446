/** Vocabularies of imported models: rebuilt from text or read from JSON, without an unknown symbol. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readVocabulary } from '../../../src/interop/vocabularyFile';
import { startIds } from '../../../src/model/sampler';
import { Vocabulary } from '../../../src/training/vocabulary';
import { tempDir, writeFiles } from '../helpers';

describe('imported vocabularies', () => {
  const tmp = tempDir('charm-vocab-');
  after(() => tmp.cleanup());
  const read = (name: string, content: string, kind: 'file' | 'from-text' = 'file') => {
    writeFiles(tmp.dir, { [name]: content });
    return readVocabulary({ kind, path: path.join(tmp.dir, name) });
  };

  it("--vocab-from-text is Python's sorted(set(text)), by code point", () => {
    const v = read('t.txt', 'ba\n😀a Z', 'from-text');
    assert.equal(v.unknownId, null);
    assert.deepEqual(
      Array.from({ length: v.size }, (_, k) => v.symbolOf(k)),
      ['\n', ' ', 'Z', 'a', 'b', '😀'],
    );
  });

  it('without an unknown symbol, characters outside are skipped by encode and counted by countUnknown', () => {
    const v = Vocabulary.fromSymbols(['a', 'b', 'c']);
    assert.deepEqual([...v.encode('axb😀c')], [0, 1, 2]);
    assert.equal(v.countUnknown('axb😀c'), 2);
    assert.equal(v.idOf('x'), null);
    assert.equal(v.decode([2, 0]), 'ca');
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    assert.equal(back.unknownId, null);
    assert.deepEqual([...back.encode('cab')], [2, 0, 1]);
  });

  it('--vocab reads an index -> character list ("" = the unknown symbol) and a character -> index map', () => {
    const list = read('list.json', JSON.stringify(['', 'a', 'b']));
    assert.equal(list.unknownId, 0);
    assert.deepEqual([...list.encode('bxa')], [2, 0, 1]);
    const tutorial = read('unk.json', JSON.stringify(['[UNK]', '\n', 'a']));
    assert.equal(tutorial.unknownId, 0);
    assert.equal(tutorial.symbolOf(2), 'a');
    const map = read('map.json', JSON.stringify({ b: 1, a: 0, '\n': 2 }));
    assert.equal(map.unknownId, null);
    assert.deepEqual([...map.encode('ab\n')], [0, 1, 2]);
  });

  it('bad vocabulary files are clear errors', () => {
    assert.throws(() => read('gap.json', JSON.stringify({ a: 0, b: 2 })), /needs the indices 0 to 1, each once/);
    assert.throws(() => read('dup.json', JSON.stringify(['a', 'a'])), /appears twice/);
    assert.throws(() => read('long.json', JSON.stringify(['ab'])), /not exactly one character/);
    assert.throws(() => read('bad.json', '{"a": 0'), /not valid JSON/);
    assert.throws(() => read('num.json', '3'), /takes a JSON list of characters or a character -> index map/);
    assert.throws(() => read('empty.txt', '', 'from-text'), /is empty/);
  });

  it('an empty state is primed with a newline, or symbol 0 when the vocabulary has none', () => {
    assert.deepEqual(Array.from(startIds(Vocabulary.fromSymbols(['a', '\n']))), [1]);
    assert.deepEqual(Array.from(startIds(Vocabulary.fromSymbols(['a', 'b']))), [0]);
  });
});
