import * as assert from 'node:assert/strict';
import { MatchIndex, MAX_MATCH } from '../../src/model/matchModel';
import { SeededRandom } from '../../src/util/random';

const cps = (t: string) => Array.from(t, (c) => c.codePointAt(0) as number);

describe('match model (latest earlier occurrence of the context)', () => {
  it('predicts what followed the latest occurrence, with the length of the agreement', () => {
    const m = new MatchIndex();
    m.append('import { map } from "rxjs";\nimport { filter } from "rxjs";\n');
    const found = m.find(cps('\nimport { filter } from "rx'));
    assert.ok(found);
    assert.equal(String.fromCodePoint(found.next), 'j');
    // The whole history agrees with the text before the prediction: '\nimport { filter } from "rx'.
    assert.equal(found.length, '\nimport { filter } from "rx'.length);
    const latest = m.find(cps(' } from "rx'));
    assert.ok(latest);
    // The history is 11 code points long: all of it agrees.
    assert.equal(latest.length, ' } from "rx'.length);
    const twice = new MatchIndex();
    twice.append('call(alpha, 1); call(alpha, 2); ');
    assert.equal(String.fromCodePoint(twice.find(cps('call(alpha, '))?.next ?? 0), '2', 'the latest occurrence');
  });

  it('prefers a long match to a later short one', () => {
    const m = new MatchIndex();
    m.append('const settings = readSettings(workspace, "first");\n');
    // Shares 21 code points with the history below: found by the 8-point table only.
    m.append('other code; xSettings(workspace, "second");\n');
    const long = m.find(cps('const settings = readSettings(workspace, "'));
    assert.ok(long);
    assert.equal(String.fromCodePoint(long.next), 'f', 'the 24+ code point match, not the later 8+ one');
    assert.ok(long.length >= 24);
    const short = m.find(cps('q Settings(workspace, "'));
    assert.equal(String.fromCodePoint(short?.next ?? 0), 's', 'without a long match, the latest short one');
  });

  it('needs 8 agreeing code points, and measures at most MAX_MATCH', () => {
    const m = new MatchIndex();
    m.append('abcdefgh!');
    assert.equal(m.find(cps('bcdefgh')), null, '7 code points are too few');
    assert.equal(m.find(cps('zbcdefgh')), null, 'the 8 code points must agree');
    assert.deepEqual(m.find(cps('abcdefgh')), { next: '!'.codePointAt(0), length: 8 });
    const long = 'x'.repeat(3 * MAX_MATCH);
    const n = new MatchIndex();
    n.append(long + 'y' + long);
    const f = n.find(cps(long));
    assert.ok(f);
    assert.equal(f.length, MAX_MATCH);
  });

  it('never predicts past the end of its text (the context being typed is not its own match)', () => {
    const m = new MatchIndex();
    m.append('hello world, hello world');
    const f = m.find(cps('hello world'));
    assert.ok(f);
    assert.equal(String.fromCodePoint(f.next), ',', 'the earlier occurrence, not the end');
  });

  it('on random text, every match it reports is real (hash collisions are verified away)', () => {
    const rng = new SeededRandom(3);
    const alphabet = 'ab(){};\n ';
    let text = '';
    for (let k = 0; k < 20_000; k++) text += alphabet[Math.floor(rng.next() * alphabet.length)];
    const m = new MatchIndex();
    m.append(text);
    const t = cps(text);
    let found = 0;
    for (let k = 0; k < 500; k++) {
      const end = 40 + Math.floor(rng.next() * (t.length - 40));
      const history = t.slice(end - 40, end);
      const f = m.find(history);
      if (!f) continue;
      found++;
      const tail = history.slice(-f.length).join(',');
      let real = false;
      for (let p = f.length; p < t.length && !real; p++) real = t[p] === f.next && t.slice(p - f.length, p).join(',') === tail;
      assert.ok(real, `no occurrence of the reported match at ${end}`);
    }
    assert.ok(found > 100, `only ${found} matches found`);
  });

  it('never matches or predicts characters outside the BMP', () => {
    const m = new MatchIndex();
    m.append('a prefix \u{1F600}\u{1F600} then; emoji here: \u{1F600}');
    assert.equal(m.find(cps('a prefix \u{1F601}\u{1F602}')), null, 'two different emoji are not a match');
    const f = m.find(cps('x prefix \u{1F600}'));
    assert.equal(f, null, 'a wide character ends the agreement (only 0 code points agree before the prediction)');
    assert.equal(m.find(cps('; emoji here: ')), null, 'the predicted character is wide: no prediction');
    const fallback = new MatchIndex();
    fallback.append('a long enough context to match: \u{1F600} and later: \u{1F600}? context to match: X');
    const g = fallback.find(cps('a long enough context to match: '));
    assert.equal(String.fromCodePoint(g?.next ?? 0), 'X', 'a long match that predicts a wide character falls back to the short table');
  });

  it('grows past its first buffer, and truncate forgets what came after', () => {
    const m = new MatchIndex();
    m.append('base text: one two three. ');
    const base = m.length;
    m.append('z'.repeat(5000) + ' unique-identifier-42;');
    assert.ok(m.find(cps(' unique-identif')));
    m.truncate(base);
    assert.equal(m.length, base);
    assert.equal(m.find(cps(' unique-identif')), null);
    assert.ok(m.find(cps('text: one two')), 'what is kept is still found');
  });
});
