import { strict as assert } from 'node:assert';
import { calibration, figuresOf } from '../../bench/keystrokes/figures';
import { Cursor, Suggester, Suggestion, Tally, typeFile, UserKind } from '../../bench/keystrokes/simulation';
import { NgramSuggester } from '../../bench/keystrokes/suggesters/ngram';
import { WordCompletionSuggester } from '../../bench/keystrokes/suggesters/wordCompletion';
import { nextWordLength, wordBeforeCursor } from '../../bench/keystrokes/words';

/** A suggester whose ghost text is a function of what was typed; it records what it was told. */
class FakeSuggester implements Suggester {
  readonly name = 'fake';
  readonly asked: Cursor[] = [];
  readonly entered_: string[] = [];
  opened = 0;
  closed = 0;

  constructor(private readonly at: (before: string) => string | Suggestion | undefined) {}

  open(): void {
    this.opened++;
  }

  async suggest(c: Cursor): Promise<Suggestion | undefined> {
    this.asked.push(c);
    const s = this.at(c.before);
    return typeof s === 'string' ? { text: s } : s;
  }

  entered(_doc: string, _before: string, text: string): void {
    this.entered_.push(text);
  }

  close(): void {
    this.closed++;
  }

  saved(): void {
    // Not part of typing one file.
  }

  startSession(): void {
    // Not part of typing one file.
  }
}

const file = (text: string) => ({ doc: 'file:///t.ts', languageId: 'typescript', text });
const run = (s: Suggester, user: UserKind, text: string): Promise<Tally> => typeFile(s, user, file(text), () => 0);

/** The rest of the current line of `text` after `before`: an oracle that is always right. */
const restOfLine = (text: string) => (before: string) => {
  const rest = text.slice(before.length);
  const nl = rest.indexOf('\n');
  return nl < 0 ? rest : rest.slice(0, nl);
};

describe('keystroke simulation', () => {
  it('the Tab user accepts whole matching suggestions with one key and types the rest', async () => {
    const text = 'abc def\nxyz';
    const s = new FakeSuggester(restOfLine(text));
    const t = await run(s, 'tab', text);
    // Tab "abc def", type "\n", Tab "xyz".
    assert.equal(t.keystrokes, 3);
    assert.equal(t.chars, 11);
    assert.equal(t.shown, 2);
    assert.equal(t.accepted, 2);
    assert.equal(t.acceptedChars, 10);
    assert.equal(t.wrongChars, 0);
    assert.deepEqual(s.entered_, ['abc def', '\n', 'xyz']);
    assert.deepEqual(
      s.asked.map((c) => [c.before, c.version]),
      [
        ['', 0],
        ['abc def', 1],
        ['abc def\n', 2],
      ],
    );
    assert.equal(s.opened, 1);
    assert.equal(s.closed, 1);
    const f = figuresOf(t);
    assert.ok(Math.abs(f.savings - (1 - 3 / 11)) < 1e-12);
    assert.equal(f.acceptance, 1);
    assert.equal(f.meanAcceptedLength, 5);
  });

  it('without suggestions every character is a keystroke and nothing is saved', async () => {
    const s = new FakeSuggester(() => undefined);
    const t = await run(s, 'tab', 'hello');
    assert.equal(t.keystrokes, 5);
    assert.equal(t.shown, 0);
    assert.equal(figuresOf(t).savings, 0);
    assert.ok(Number.isNaN(figuresOf(t).acceptance));
    assert.equal(s.asked.length, 5);
  });

  it('the Tab user never accepts a suggestion that is only partly right', async () => {
    const s = new FakeSuggester((before) => (before === '' ? 'foo.bar(bad)' : undefined));
    const t = await run(s, 'tab', 'foo.bar(baz) qux');
    assert.equal(t.keystrokes, 16);
    assert.equal(t.accepted, 0);
    assert.equal(t.shown, 1);
    // "foo.bar(ba" is right, "d)" is wrong.
    assert.equal(t.wrongChars, 2);
  });

  it('the word user takes the matching leading words, one key each, then types on', async () => {
    const s = new FakeSuggester((before) => (before === '' ? 'foo.bar(bad)' : undefined));
    const t = await run(s, 'word', 'foo.bar(baz) qux');
    // "foo" "." "bar" "(" accepted (4 keys, 8 chars); "bad" is not "baz": 8 characters typed.
    assert.equal(t.keystrokes, 4 + 8);
    assert.equal(t.accepted, 1);
    assert.equal(t.acceptedChars, 8);
    assert.equal(t.shown, 1);
    assert.equal(t.wrongChars, 2);
    assert.deepEqual(s.entered_.slice(0, 5), ['foo', '.', 'bar', '(', 'b']);
  });

  it('the word user presses Tab when the whole suggestion is right, and asks again', async () => {
    const text = 'ab cd ef';
    const s = new FakeSuggester((before) => (before === '' ? 'ab' : before === 'ab' ? ' cd ef' : undefined));
    const t = await run(s, 'word', text);
    // "ab" (Tab), then " cd ef" (Tab): not one key per word.
    assert.equal(t.keystrokes, 2);
    assert.equal(t.shown, 2);
    assert.equal(t.accepted, 2);
  });

  it('a suggestion being typed through is counted as shown once, a changed one again', async () => {
    // The same suggestion, shorter by each typed character: shown once, its wrong "X" counted once.
    const same = new FakeSuggester((before) => 'abX'.slice(before.length) || undefined);
    const t1 = await run(same, 'tab', 'abc');
    assert.equal(t1.shown, 1);
    assert.equal(t1.wrongChars, 1);
    assert.equal(t1.keystrokes, 3);
    // After "a" the suggestion changes from "bX" to "bY": a new suggestion.
    const changed = new FakeSuggester((before) => (before === '' ? 'abX' : before === 'a' ? 'bY' : undefined));
    const t2 = await run(changed, 'tab', 'abc');
    assert.equal(t2.shown, 2);
    assert.equal(t2.wrongChars, 2);
  });

  it('a new suggestion after a wrong one is counted and can be accepted', async () => {
    const text = 'abcdef';
    const wrongFirst = new FakeSuggester((before) => (before === '' ? 'abcdeX' : text.slice(before.length) || undefined));
    const t = await run(wrongFirst, 'tab', text);
    // "abcdeX" shown, not accepted; after "a" the rest "bcdef" is not "bcdeX": a new one, accepted.
    assert.equal(t.keystrokes, 2);
    assert.equal(t.shown, 2);
    assert.equal(t.accepted, 1);
    assert.equal(t.wrongChars, 1);
  });

  it('the rest of a partly accepted suggestion, typed through, is still the same suggestion', async () => {
    const full = 'ab cd';
    // The fake keeps offering what is left of "ab cd" while the typing follows it.
    const s = new FakeSuggester((before) => (full.startsWith(before) && before.length < full.length ? full.slice(before.length) : undefined));
    const t = await run(s, 'word', 'ab ce');
    // "ab", " " accepted (2 keys); "cd" is not "ce": "c" typed, "d" still shown (same one), "e" typed.
    assert.equal(t.keystrokes, 4);
    assert.equal(t.shown, 1);
    assert.equal(t.accepted, 1);
    assert.equal(t.wrongChars, 1);
  });

  it('the calibration table bins shown suggestions by their probability', () => {
    const records = [
      { probability: 0.1, accepted: false },
      { probability: 0.15, accepted: true },
      { probability: 0.9, accepted: true },
      { probability: 1, accepted: true },
      { accepted: true },
    ];
    const c = calibration(records);
    assert.equal(c.bins.length, 5);
    assert.deepEqual([c.bins[0].shown, c.bins[0].accepted, c.bins[0].rate], [2, 1, 0.5]);
    assert.deepEqual([c.bins[4].shown, c.bins[4].accepted], [2, 2]);
    assert.equal(c.withoutProbability, 1);
  });
});

describe('VS Code accept next word', () => {
  it('takes a word, or the separators before one, never past the first blanks', () => {
    assert.equal(nextWordLength('foo bar'), 3);
    assert.equal(nextWordLength(' bar'), 1);
    assert.equal(nextWordLength('  foo'), 2);
    assert.equal(nextWordLength('(x)'), 1);
    assert.equal(nextWordLength('foo'), 3);
    assert.equal(nextWordLength('$foo.bar'), 4);
    assert.equal(nextWordLength('...'), 3);
    assert.equal(nextWordLength('1.5 + x'), 3);
    assert.equal(nextWordLength('=> {'), 3);
  });

  it('finds the word being typed', () => {
    assert.equal(wordBeforeCursor('const fooBa'), 'fooBa');
    assert.equal(wordBeforeCursor('a.b'), 'b');
    assert.equal(wordBeforeCursor('f('), '');
  });
});

describe('anchors', () => {
  const at = (doc: string, before: string): Cursor => ({ doc, version: 0, languageId: 'typescript', before });

  it('word completion: the most frequent word with the prefix, when it holds 25 % of its uses', async () => {
    const w = new WordCompletionSuggester(['alpha alpha alpine beta', 'aa ab ac ad ae af']);
    w.open('d');
    assert.equal((await w.suggest(at('d', 'x = al')))?.text, 'pha');
    assert.equal((await w.suggest(at('d', 'b')))?.text, 'eta');
    // Words with the prefix "a": alpha 2 of 9 uses, under 25 %.
    assert.equal(await w.suggest(at('d', 'a')), undefined);
    // Words typed in the file count too, once finished.
    let before = '';
    for (const chunk of ['alpine', ' ', 'alpine', ' ', 'alpine', ';']) {
      w.entered('d', before, chunk);
      before += chunk;
    }
    assert.equal((await w.suggest(at('d', before + 'al')))?.text, 'pine');
    w.close('d');
    w.open('d');
    assert.equal((await w.suggest(at('d', 'al')))?.text, 'pha');
  });

  it('n-gram: greedy while the joint probability stays >= 0.5, learning what is typed, fresh per file', async () => {
    const n = new NgramSuggester('the quick brown fox. '.repeat(20));
    n.open();
    const s = await n.suggest(at('d', 'the qu'));
    assert.ok(s && s.text.startsWith('ick brown'), JSON.stringify(s));
    assert.ok((s?.probability ?? 0) >= 0.5);
    const learnt = async (before: string) => (await n.suggest(at('d', before + 'zebra_q')))?.text.startsWith('uagga') ?? false;
    assert.equal(await learnt(''), false);
    let before = '';
    for (let k = 0; k < 5; k++) {
      n.entered('d', before, 'zebra_quagga; ');
      before += 'zebra_quagga; ';
    }
    assert.equal(await learnt(before), true);
    n.close();
    n.open();
    assert.equal(await learnt(''), false);
  });

  it('both anchors learn the files saved in a session, and forget them when a new one starts', async () => {
    const w = new WordCompletionSuggester(['alpha beta gamma']);
    const n = new NgramSuggester('the quick brown fox. '.repeat(20));
    const ask = async () => {
      w.open('d');
      n.open();
      return [(await w.suggest(at('d', 'x = zeb')))?.text, (await n.suggest(at('d', 'zebra_q')))?.text ?? ''] as const;
    };
    const unknown = async () => {
      const [word, ngram] = await ask();
      assert.equal(word, undefined);
      assert.ok(!ngram.startsWith('uagga'), ngram);
    };
    await unknown();
    for (const s of [w, n] as Suggester[]) void s.saved({ doc: 'file:///saved.ts', rel: 'saved.ts', text: 'zebra_quagga(); '.repeat(5) });
    const [word, ngram] = await ask();
    assert.equal(word, 'ra_quagga');
    assert.ok(ngram.startsWith('uagga'), ngram);
    for (const s of [w, n]) s.startSession();
    await unknown();
  });
});
