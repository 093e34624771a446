import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharmError } from '../../src/errors';
import { buildCorpus } from '../../src/training/corpus';
import { Vocabulary } from '../../src/training/vocabulary';

const codePoints = (s: string) => [...s].length;

describe('Vocabulary', () => {
  it('reserves id 0 for unknown characters, shown as U+FFFD', () => {
    const v = Vocabulary.build('abc');
    assert.equal(v.unknownId, 0);
    assert.equal(v.size, 4);
    assert.equal(v.symbolOf(0), Vocabulary.UNKNOWN);
    assert.deepEqual([...v.encode('axc')], [1, 0, 3]);
    assert.equal(v.decode(v.encode('axc')), 'a\uFFFDc');
    assert.equal(v.countUnknown('axcyz'), 3);
    assert.equal(v.idOf('z'), v.unknownId);
    assert.equal(v.idOf(''), v.unknownId);
    assert.equal(v.idOf('ab'), v.unknownId, 'only single characters are symbols');
  });

  it('treats an emoji, a CJK character or any astral character as one symbol', () => {
    const text = '漢字 😀 𝄞 𠀋 a';
    const v = Vocabulary.build(text);
    const ids = v.encode(text);
    assert.equal(ids.length, codePoints(text));
    assert.equal(v.decode(ids), text);
    assert.equal(v.countUnknown(text), 0);
    assert.notEqual(v.idOf('😀'), v.unknownId);
    assert.equal(v.symbolOf(v.idOf('𝄞') ?? -1), '𝄞');
    assert.equal(v.idOf('\ud83d'), v.unknownId, 'half a pair is not the emoji');
    // The encoded array is exactly as long as its buffer, safe to hand to tf.tensor.
    assert.equal(ids.buffer.byteLength, ids.length * 4);
  });

  it('round-trips ZWJ sequences and flags when all their code points are known', () => {
    const family = '👨‍👩‍👧‍👦';
    const flags = '🇫🇷🇯🇵';
    const skinTone = '👍🏽';
    const keycap = '1️⃣';
    const text = `${family} ${flags} ${skinTone} ${keycap}`;
    const v = Vocabulary.build(text);
    assert.equal(v.decode(v.encode(text)), text);
    assert.equal(v.encode(family).length, 7, 'four people and three joiners');
    assert.equal(v.encode(flags).length, 4, 'two regional indicators per flag');

    // A vocabulary missing the joiner decodes something different, one symbol per point.
    const noJoiner = Vocabulary.build('👨👩👧👦');
    assert.equal(noJoiner.decode(noJoiner.encode(family)), '👨\uFFFD👩\uFFFD👧\uFFFD👦');
  });

  it('keeps lone surrogates as symbols of their own, never merging or splitting pairs', () => {
    const text = 'a\ud800b\udc00c😀';
    const v = Vocabulary.build(text);
    assert.equal(v.encode(text).length, codePoints(text));
    assert.equal(v.decode(v.encode(text)), text);
    assert.equal(v.countUnknown(text), 0);
  });

  it('keeps \\r as an ordinary character; the corpus is what turns CRLF into LF', async () => {
    const v = Vocabulary.build('a\r\nb');
    assert.notEqual(v.idOf('\r'), v.unknownId);
    assert.equal(v.decode(v.encode('a\r\nb')), 'a\r\nb');

    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'charm-vocab-'));
    try {
      await fsp.writeFile(path.join(dir, 'crlf.txt'), 'one\r\ntwo\r\n');
      const corpus = await buildCorpus([dir]);
      const fromCorpus = Vocabulary.build(corpus.text);
      assert.equal(fromCorpus.idOf('\r'), fromCorpus.unknownId);
      assert.equal(fromCorpus.decode(fromCorpus.encode(corpus.text)), 'one\ntwo\n');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the most frequent characters when the size is bounded, breaking ties by code point', () => {
    const text = 'e'.repeat(50) + 't'.repeat(40) + 'a'.repeat(30) + 'z'.repeat(5) + 'q'.repeat(5) + 'x';
    const v = Vocabulary.build(text, 5);
    assert.equal(v.size, 5);
    // e, t, a, then q beats z on the tie (lower code point); ids follow code point order.
    assert.deepEqual(v.toJSON().symbols, ['', 'a', 'e', 'q', 't']);
    assert.equal(v.countUnknown(text), 6);
    assert.equal(v.decode(v.encode('zebra')), '\uFFFDe\uFFFD\uFFFDa');
  });

  it('defaults to 256 symbols including the unknown one', () => {
    let text = '';
    for (let cp = 0x4e00; cp < 0x4e00 + 300; cp++) text += String.fromCodePoint(cp).repeat((cp % 5) + 1);
    const v = Vocabulary.build(text);
    assert.equal(v.size, 256);
    assert.equal(Vocabulary.build('ab').size, 3, 'never padded');
    assert.equal(Vocabulary.build('').size, 1);
  });

  it('is deterministic: ids depend on frequencies, not on the order of the text', () => {
    const a = 'fn main() { println!("héllo"); }\n';
    const b = '// 日本語のコメント 🎉\nlet x = 1;\n';
    const ab = Vocabulary.build(a + b, 20).toJSON();
    assert.deepEqual(Vocabulary.build(a + b, 20).toJSON(), ab);
    assert.deepEqual(Vocabulary.build(b + a, 20).toJSON(), ab);
    assert.deepEqual(Vocabulary.build([...(a + b)].reverse().join(''), 20).toJSON(), ab);
    assert.equal(JSON.stringify(Vocabulary.build(b + a, 20)), JSON.stringify(ab));
  });

  it('round-trips through JSON', () => {
    const text = 'Hello, 世界! 👋🏽';
    const v = Vocabulary.build(text);
    const json = JSON.parse(JSON.stringify(v)) as unknown;
    const restored = Vocabulary.fromJSON(json);
    assert.deepEqual(restored.toJSON(), v.toJSON());
    assert.deepEqual(restored.encode(text), v.encode(text));
    assert.equal(restored.decode(restored.encode(text)), text);
  });

  it('accepts a saved unknown id other than 0', () => {
    const v = Vocabulary.fromJSON({ version: 1, symbols: ['a', 'b', ''], unknownId: 2 });
    assert.deepEqual([...v.encode('abc')], [0, 1, 2]);
    assert.equal(v.countUnknown('abc'), 1);
    assert.equal(v.decode([2, 0]), '\uFFFDa');
  });

  it('rejects malformed JSON with a CharmError', () => {
    const garbage: unknown[] = [
      null,
      42,
      'abc',
      [],
      {},
      { version: 2, symbols: [''], unknownId: 0 },
      { version: 1, symbols: [], unknownId: 0 },
      { version: 1, symbols: 'ab', unknownId: 0 },
      { version: 1, symbols: ['', 'a'], unknownId: 2 },
      { version: 1, symbols: ['', 'a'], unknownId: -1 },
      { version: 1, symbols: ['', 'a'], unknownId: 0.5 },
      { version: 1, symbols: ['', 'a'] },
      { version: 1, symbols: ['x', 'a'], unknownId: 0 },
      { version: 1, symbols: ['', 'ab'], unknownId: 0 },
      { version: 1, symbols: ['', ''], unknownId: 0 },
      { version: 1, symbols: ['', 'a', 'a'], unknownId: 0 },
      { version: 1, symbols: ['', 7], unknownId: 0 },
      { version: 1, symbols: ['', null], unknownId: 0 },
    ];
    for (const g of garbage) {
      assert.throws(() => Vocabulary.fromJSON(g), CharmError, JSON.stringify(g));
    }
  });

  it('rejects a nonsense size and invalid ids', () => {
    assert.throws(() => Vocabulary.build('abc', 1), CharmError);
    assert.throws(() => Vocabulary.build('abc', 2.5), CharmError);
    const v = Vocabulary.build('abc');
    assert.throws(() => v.decode([1, 99]), RangeError);
    assert.throws(() => v.decode([-1]), RangeError);
    assert.throws(() => v.symbolOf(4), RangeError);
  });

  it('encodes long text', () => {
    const line = 'const x = computeSomething(alpha, beta); // 注释 😀\n';
    const text = line.repeat(Math.ceil(5_000_000 / line.length));
    const v = Vocabulary.build(text);
    const ids = v.encode(text);
    assert.equal(ids.length, codePoints(line) * (text.length / line.length));
    assert.equal(v.decode(ids.subarray(0, codePoints(line) * 3)), line.repeat(3));
  });
});
