import * as assert from 'node:assert/strict';
import { COMPLETE_DEBOUNCE_MS, completeSettings } from '../../src/cli/complete';
import { parseRequestLine, textVersion } from '../../src/cli/completeRequest';
import { LineSplitter, SplitLine } from '../../src/cli/lineSplitter';
import { CharmError } from '../../src/errors';
import { DEFAULT_SETTINGS, RANGES } from '../../src/extension/settings';

const good = { id: 7, doc: 'file:///a.ts', offset: 10, before: 'const x = ', after: ');', nextLine: 'next', languageId: 'typescript' };
const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

function errorOf(text: string): { id: unknown; message: string } {
  const r = parseRequestLine(text);
  assert.equal(r.kind, 'error', `should be rejected: ${text}`);
  return r;
}

describe('charm complete: request lines', () => {
  it('reads a good request into the cursor text the pipeline is built from', () => {
    const r = parseRequestLine(line({ ...good, version: 3 }));
    assert.deepEqual(r, {
      kind: 'complete',
      id: 7,
      cursor: { doc: good.doc, version: 3, languageId: 'typescript', offset: 10, before: good.before, after: ');', nextLine: 'next', explicit: false },
    });
  });

  it('fills the optional fields: plaintext, no next line, nothing after the cursor, a version from the text', () => {
    const r = parseRequestLine(line({ id: 'a', doc: 'untitled:1', offset: 3, before: 'abc' }));
    assert.equal(r.kind, 'complete');
    if (r.kind !== 'complete') return;
    assert.equal(r.id, 'a');
    assert.equal(r.cursor.languageId, 'plaintext');
    assert.equal(r.cursor.after, '');
    assert.equal(r.cursor.nextLine, undefined);
    assert.equal(r.cursor.version, textVersion('abc', '', undefined));
  });

  it('derives a version that changes with the text before, after and below the cursor', () => {
    const v = textVersion('the cat sat', ' on', 'x');
    assert.equal(textVersion('the cat sat', ' on', 'x'), v);
    const others = [
      textVersion('the cat sap', ' on', 'x'),
      textVersion('the cat sat', ' in', 'x'),
      textVersion('the cat sat', ' on', 'y'),
      textVersion('the cat sat', ' on', undefined),
    ];
    for (const o of others) {
      assert.notEqual(o, v);
      assert.ok(Number.isSafeInteger(o) && o >= 0);
    }
  });

  it('reads a forget line', () => {
    assert.deepEqual(parseRequestLine(line({ id: 2, forget: 'file:///a.ts' })), { kind: 'forget', id: 2, doc: 'file:///a.ts' });
    assert.match(errorOf(line({ id: 2, forget: 5 })).message, /"forget"/);
  });

  it('rejects what is not a JSON object, without an id', () => {
    for (const text of ['not json', '[1,2]', '"text"', '42', 'null', '{"id":1,']) {
      const e = errorOf(text);
      assert.equal(e.id, null);
      assert.ok(e.message.length > 5);
    }
    assert.match(errorOf('[1]').message, /array/);
  });

  it('rejects a missing or wrong-typed id', () => {
    const { id: _, ...noId } = good;
    assert.match(errorOf(line(noId)).message, /missing "id"/);
    for (const id of [null, true, { a: 1 }, [1]]) assert.deepEqual(errorOf(line({ ...good, id })).id, null);
  });

  it('names the bad field, echoing the id', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ doc: undefined }, /"doc"/],
      [{ doc: 3 }, /"doc"/],
      [{ doc: '' }, /"doc"/],
      [{ before: undefined }, /"before"/],
      [{ before: 12 }, /"before"/],
      [{ after: 1 }, /"after"/],
      [{ after: 'a\nb' }, /"after".*line break/],
      [{ nextLine: false }, /"nextLine"/],
      [{ nextLine: 'a\nb' }, /"nextLine"/],
      [{ languageId: 5 }, /"languageId"/],
      [{ offset: undefined }, /"offset"/],
      [{ offset: '10' }, /"offset"/],
      [{ offset: -1 }, /"offset"/],
      [{ offset: 2.5 }, /"offset"/],
      [{ offset: 4 }, /"offset" 4 does not match "before"/],
      [{ version: 'x' }, /"version"/],
      [{ version: 1.5 }, /"version"/],
      [{ explicit: 'yes' }, /"explicit"/],
    ];
    for (const [change, pattern] of cases) {
      const e = errorOf(line({ ...good, ...change }));
      assert.equal(e.id, 7, JSON.stringify(change));
      assert.match(e.message, pattern, JSON.stringify(change));
    }
  });

  it('accepts "before" shorter than the offset (the last few thousand characters) and null optional fields', () => {
    const r = parseRequestLine(line({ ...good, offset: 100_000, nextLine: null, languageId: null }));
    assert.equal(r.kind, 'complete');
    const empty = parseRequestLine(line({ ...good, languageId: '' }));
    assert.equal(empty.kind === 'complete' && empty.cursor.languageId, 'plaintext');
  });
});

describe('charm complete: lines from a byte stream', () => {
  const texts = (lines: (SplitLine | undefined)[]) => lines.map((l) => (l?.kind === 'line' ? l.text : l?.kind));

  it('splits lines across chunks, CRLF included, multi-byte characters cut between chunks', () => {
    const s = new LineSplitter(100);
    const bytes = Buffer.from('ab\r\ncé€\n\nlast');
    const out: SplitLine[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(texts(out), ['ab', 'cé€', '']);
    assert.deepEqual(texts([s.end()]), ['last']);
    assert.equal(s.end(), undefined);
  });

  it('drops an over-long line as it arrives and goes on with the next one', () => {
    const s = new LineSplitter(10);
    const out = [...s.push(Buffer.from('0123456789ok\nsh')), ...s.push(Buffer.from('ort\n'))];
    assert.deepEqual(out, [
      { kind: 'tooLong', bytes: 12 },
      { kind: 'line', text: 'short' },
    ]);
    const t = new LineSplitter(4);
    assert.deepEqual(
      [...t.push(Buffer.from('abc')), ...t.push(Buffer.from('def')), ...t.push(Buffer.from('gh\nxy\n'))],
      [
        { kind: 'tooLong', bytes: 8 },
        { kind: 'line', text: 'xy' },
      ],
    );
  });
});

describe('charm complete: settings from flags', () => {
  it("defaults to the extension's inline settings, except the debounce", () => {
    assert.deepEqual(completeSettings({}), { ...DEFAULT_SETTINGS.inline, enabled: true, debounceMs: COMPLETE_DEBOUNCE_MS });
  });

  it('takes every flag', () => {
    const s = completeSettings({
      'max-length': 7,
      multiline: true,
      'min-confidence': 0.5,
      temperature: 0.3,
      'context-chars': 64,
      'debounce-ms': 20,
      languages: '{"*":false,"ts":true}',
      'no-learn-saved': true,
    });
    assert.deepEqual(s, {
      enabled: true,
      maxLength: 7,
      multiline: true,
      minConfidence: 0.5,
      temperature: 0.3,
      contextChars: 64,
      debounceMs: 20,
      languages: { '*': false, ts: true },
      learnFromSavedFiles: false,
    });
  });

  it("rejects a value out of the setting's range, naming the flag and the range", () => {
    const flags: [string, keyof typeof RANGES][] = [
      ['max-length', 'inlineCompletions.maxLength'],
      ['min-confidence', 'inlineCompletions.minConfidence'],
      ['temperature', 'inlineCompletions.temperature'],
      ['context-chars', 'inlineCompletions.contextChars'],
      ['debounce-ms', 'inlineCompletions.debounceMs'],
    ];
    for (const [flag, key] of flags) {
      const [min, max] = RANGES[key];
      for (const value of [min - 1, max + 1]) {
        assert.throws(
          () => completeSettings({ [flag]: value }),
          (e: Error) => e instanceof CharmError && e.message === `--${flag} must be from ${min} to ${max}, got ${value}`,
        );
      }
      assert.doesNotThrow(() => completeSettings({ [flag]: min }));
      assert.doesNotThrow(() => completeSettings({ [flag]: max }));
    }
  });

  it('rejects --languages that is not an object of booleans', () => {
    for (const raw of ['nope', '[true]', '{"ts":"yes"}', 'null']) {
      assert.throws(
        () => completeSettings({ languages: raw }),
        (e: Error) => e instanceof CharmError && /--languages/.test(e.message),
      );
    }
  });
});
