import * as assert from 'node:assert/strict';
import { CharNgram } from '../../src/model/ngram';
import * as path from 'node:path';
import { NEVER_CANCELLED } from '../../src/extension/completion/cancellation';
import { LocalCompletionModel } from '../../src/extension/inference/localModel';
import { SavedFiles } from '../../src/extension/inference/savedFiles';
import type { MatchIndex } from '../../src/model/matchModel';
import { buildWorkspaceMemory, learnSavedFile } from '../../src/extension/inference/workspaceMemory';
import { tempDir, writeFiles } from './helpers';

/** P(next | context) under the n-gram, for the symbols of `next` one after another. */
function probOf(ngram: CharNgram, context: string, next: string): number {
  let p = 1;
  let ctx = context;
  for (const ch of next) {
    p *= ngram.prob(ctx, ch.codePointAt(0) as number);
    ctx += ch;
  }
  return p;
}

describe('saved files (continuous learning of the workspace memory)', () => {
  const corpus = 'const value = compute(input);\n'.repeat(20);

  it('a saved file is learned at once, and saving it again replaces its previous version', () => {
    const ngram = new CharNgram({ order: 6 });
    ngram.add(corpus);
    const saved = new SavedFiles(ngram);
    const before = probOf(ngram, 'return ', 'frobnicate');
    saved.learn('/w/a.ts', 'return frobnicate(x);\n'.repeat(3));
    const learned = probOf(ngram, 'return ', 'frobnicate');
    assert.ok(learned > 10 * before, `${learned} vs ${before}`);
    // Saved again without the identifier: its counts are gone, not added to.
    saved.learn('/w/a.ts', 'return other(x);\n'.repeat(3));
    assert.ok(probOf(ngram, 'return ', 'frobnicate') < learned / 10);
    assert.ok(probOf(ngram, 'return ', 'other') > 0.5);
    assert.deepEqual(saved.size, { files: 1, chars: 'return other(x);\n'.length * 3 });
  });

  it('saving the same text twice counts it once; clear() gives back the corpus counts', () => {
    const ngram = new CharNgram({ order: 6 });
    ngram.add(corpus);
    const reference = new CharNgram({ order: 6 });
    reference.add(corpus);
    const saved = new SavedFiles(ngram);
    saved.learn('/w/a.ts', 'const value = 1;\r\nlet x = value;\r\n');
    const once = probOf(ngram, 'let ', 'x = value');
    saved.learn('/w/a.ts', 'const value = 1;\nlet x = value;\n');
    assert.equal(probOf(ngram, 'let ', 'x = value'), once);
    saved.learn('/w/b.ts', 'let y = compute(value);\n');
    saved.clear();
    assert.equal(ngram.total, reference.total);
    for (const [ctx, next] of [
      ['const ', 'value'],
      ['compute', '(input);'],
      ['= ', 'compute('],
    ]) {
      // Equal but for the floor: the alphabet keeps the symbols the saved files brought.
      const [p, q] = [probOf(ngram, ctx, next), probOf(reference, ctx, next)];
      assert.ok(Math.abs(p - q) < 1e-6 * q, `${ctx}${next}: ${p} vs ${q}`);
    }
  });

  it('stays within its bound: the files saved longest ago are unlearned first', () => {
    const ngram = new CharNgram({ order: 4 });
    const saved = new SavedFiles(ngram, 100);
    saved.learn('a', 'alpha_one();\n'.repeat(4)); // 52
    saved.learn('b', 'beta_two();\n'.repeat(4)); // 48
    saved.learn('a', 'alpha_one();\n'.repeat(4)); // unchanged: stays the older one
    saved.learn('c', 'gamma();\n'.repeat(4)); // 36: a goes
    assert.deepEqual(saved.size, { files: 2, chars: 84 });
    assert.ok(probOf(ngram, 'alp', 'ha_one') < 0.05);
    assert.ok(probOf(ngram, 'bet', 'a_two') > 0.5);
    saved.learn('huge', 'x'.repeat(101));
    assert.deepEqual(saved.size, { files: 2, chars: 84 });
  });
});

describe('saved files in the match model', () => {
  const cps = (t: string) => Array.from(t, (c) => c.codePointAt(0) as number);
  const predicted = (m: MatchIndex, context: string) => {
    const f = m.find(cps(context));
    return f ? String.fromCodePoint(f.next) : undefined;
  };

  it('holds exactly the files learned now: a re-save replaces, eviction and unlearn remove, clear() empties', () => {
    const ngram = new CharNgram({ order: 4 });
    const saved = new SavedFiles(ngram, 200);
    const match = saved.match;
    saved.learn('a', 'const limit = readFromVault(2);\n');
    assert.equal(predicted(match, 'const limit = readFromV'), 'a');
    saved.learn('a', 'const limit = readFromEnv(3);\n');
    assert.equal(predicted(match, 'const limit = readFromV'), undefined, 'the earlier version is gone');
    assert.equal(predicted(match, 'const limit = readFromE'), 'n');
    const b = 'function onlyInB(x) { return x; }\n';
    saved.learn('b', b);
    assert.equal(predicted(match, 'function onlyIn'), 'B');
    // c is 147 characters: a (30) goes to stay within 200, b (35) stays.
    const c = `let filler = "${'z'.repeat(130)}";\n`;
    saved.learn('c', c);
    assert.equal(predicted(match, 'const limit = readFromE'), undefined, 'the evicted file is gone');
    assert.equal(predicted(match, 'function onlyIn'), 'B');
    assert.equal(match.length, 2 + b.length + 2 + c.length, 'the text is what is learned, each file after a blank line');
    saved.unlearn('b');
    assert.equal(predicted(match, 'function onlyIn'), undefined, 'an unlearned file is gone');
    saved.learn('c', 'x'.repeat(201));
    assert.equal(saved.size.files, 0, 'too large to learn: its earlier version is unlearned');
    assert.equal(match.length, 0);
    saved.learn('d', 'let once = 1;\nlet twice = 2;\n');
    saved.clear();
    assert.equal(match.length, 0);
    assert.equal(predicted(match, 'let once = '), undefined);
  });
});

describe('learnSavedFile (the corpus rules for a saved file)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const ask = async (m: LocalCompletionModel, before: string) => {
    const r = await m.complete(
      {
        doc: 'file:///other.ts',
        window: before,
        contextChars: 128,
        offset: before.length,
        maxChars: 20,
        stopAtNewline: true,
        temperature: 0,
        seed: 1,
        minConfidence: 0.25,
      },
      NEVER_CANCELLED,
    );
    return r?.text ?? '';
  };

  it('what a saved file brings is completed in another document at once; saved again without it, it is gone', async () => {
    const work = path.join(tmp.dir, 'w1');
    writeFiles(work, { 'a.ts': 'const value = compute(input);\n'.repeat(40) });
    const m = await LocalCompletionModel.open({ corpusPaths: [work] });
    assert.doesNotMatch(await ask(m, 'return makeWid'), /^get\(/);
    const file = path.join(work, 'widget.ts');
    assert.equal(await m.learnSavedFile(file, Buffer.from('export function makeWidget() {}\nreturn makeWidget();\n'.repeat(5))), 'learned');
    assert.match(await ask(m, 'return makeWid'), /^get\(/);
    assert.equal(await m.learnSavedFile(file, Buffer.from('export const nothing = 0;\n')), 'learned');
    assert.doesNotMatch(await ask(m, 'return makeWid'), /^get\(/);
    m.dispose();
  });

  it('leaves out files outside the memory, excluded, named like secrets, too large or binary; replaces secrets', async () => {
    const work = path.join(tmp.dir, 'w2');
    writeFiles(work, { 'a.ts': 'let x = 1;\n'.repeat(20) });
    const memory = await buildWorkspaceMemory([work], { exclude: ['generated/'], maxFileBytes: 1000 });
    const text = Buffer.from('const zebraQuagga = 1;\n'.repeat(10));
    assert.equal(await learnSavedFile(memory, path.join(tmp.dir, 'elsewhere.ts'), text), 'outside');
    assert.equal(await learnSavedFile(memory, path.join(work, 'generated', 'x.ts'), text), 'excluded');
    assert.equal(await learnSavedFile(memory, path.join(work, '.env'), text), 'secret');
    assert.equal(await learnSavedFile(memory, path.join(work, 'big.ts'), Buffer.alloc(1001, 'a')), 'too-large');
    assert.equal(await learnSavedFile(memory, path.join(work, 'b.bin'), Uint8Array.from([1, 0, 2])), 'binary');
    assert.equal(memory.saved.size.files, 0);
    // A file learned, then turned binary: its earlier version is unlearned.
    assert.equal(await learnSavedFile(memory, path.join(work, 'c.ts'), text), 'learned');
    assert.equal(await learnSavedFile(memory, path.join(work, 'c.ts'), Uint8Array.from([0])), 'binary');
    assert.equal(memory.saved.size.files, 0);
    const secret = 'const token = "ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";\n';
    assert.equal(await learnSavedFile(memory, path.join(work, 'd.ts'), Buffer.from(secret.repeat(5))), 'learned');
    assert.ok(memory.ngram.prob('= "', 'g'.codePointAt(0) as number) < 0.05, 'the token is not learned');
    assert.ok(memory.ngram.prob('= "', '<'.codePointAt(0) as number) > 0.5, 'the placeholder is');
  });
});
