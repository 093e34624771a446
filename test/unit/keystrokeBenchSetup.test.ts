import { strict as assert } from 'node:assert';
import { parseOptions } from '../../bench/keystrokes/options';
import { parseVariants } from '../../bench/keystrokes/variants';
import { MIN_HELD_OUT_CHARS, readWorkspace, splitKey, splitWorkspace } from '../../bench/keystrokes/workspace';
import { CharmError } from '../../src/errors';
import { tempDir, writeFiles } from './helpers';

describe('keystroke benchmark setup', () => {
  it('parses engine variants by name or as JSON, and refuses bad ones with a clear error', () => {
    assert.deepEqual(parseVariants('lstm,mix-greedy'), [
      { name: 'charm:lstm', engine: { mixture: 'lstm' } },
      { name: 'charm:mix-greedy', engine: { mixture: 'mix', beam: 1 } },
    ]);
    assert.deepEqual(parseVariants('b2={"beam":2,"decision":"longest"};lstm'), [
      { name: 'charm:b2', engine: { beam: 2, decision: 'longest' } },
      { name: 'charm:lstm', engine: { mixture: 'lstm' } },
    ]);
    assert.deepEqual(parseVariants(undefined), []);
    assert.throws(() => parseVariants('nope'), CharmError);
    assert.throws(() => parseVariants('x={"mixture":"gru"}'), /mixture must be one of/);
    assert.throws(() => parseVariants('x={"colour":1}'), /unknown engine option/);
    assert.throws(() => parseVariants('x={oops'), /valid JSON/);
    assert.throws(() => parseVariants('lstm,lstm'), /twice/);
    const m = { document: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], corpus: [0, 0, 0, 0, 0, 0.9] };
    assert.deepEqual(parseVariants(`m=${JSON.stringify({ matchWeights: m, multiline: true, maxLength: 80 })}`), [
      { name: 'charm:m', engine: { matchWeights: m, multiline: true, maxLength: 80 } },
    ]);
    assert.deepEqual(parseVariants('no-match'), [{ name: 'charm:no-match', engine: { matchWeights: null } }]);
    assert.throws(() => parseVariants('x={"matchWeights":{"document":[0.1],"corpus":[0.1]}}'), /matchWeights must be null or/);
    assert.throws(() => parseVariants('x={"matchWeights":{"document":[1,1,1,1,1,1],"corpus":[0,0,0,0,0,0]}}'), /matchWeights must be null or/);
    assert.throws(() => parseVariants('x={"multiline":"yes"}'), /multiline must be true or false/);
  });

  it('parses the options with their defaults and refuses contradictions', () => {
    const o = parseOptions([]);
    assert.equal(o.heldOutCount, 5);
    assert.equal(o.seed, 1);
    assert.equal(o.chars, 6000);
    assert.equal(o.trainSeconds, 300);
    assert.deepEqual(o.suggesters, ['charm', 'word', 'ngram']);
    assert.deepEqual(parseOptions(['--workspace', 'd', '--held-out', 'a.ts, b/c.ts']).heldOut, ['a.ts', 'b/c.ts']);
    assert.throws(() => parseOptions(['--held-out', 'a.ts']), /--workspace/);
    assert.throws(() => parseOptions(['--suggesters', 'charm,gpt']), /unknown "gpt"/);
    assert.throws(() => parseOptions(['--chars', '0']), /positive/);
  });

  it('splits a folder: seeded held-out files of 2,000+ chars, never in the training set', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const long = (k: number) => `// file ${k}\n` + 'export const x = 1;\n'.repeat(Math.ceil(MIN_HELD_OUT_CHARS / 20));
      const files: Record<string, string> = { 'short.ts': 'const a = 1;\n', 'notes.md': 'hello\n', '.gitignore': 'ignored.ts\n', 'ignored.ts': long(99) };
      for (let k = 0; k < 6; k++) files[`sub/f${k}.ts`] = long(k);
      writeFiles(dir, files);
      const all = await readWorkspace(dir);
      const rels = all.map((f) => f.rel);
      assert.ok(!rels.includes('ignored.ts'), 'the corpus rules apply (.gitignore)');
      assert.equal(all.find((f) => f.rel === 'sub/f3.ts')?.text, long(3));
      const ts = await readWorkspace(dir, (rel) => rel.endsWith('.ts'));
      assert.ok(ts.every((f) => f.rel.endsWith('.ts')));

      const a = splitWorkspace(dir, ts, { count: 3, seed: 7 });
      const b = splitWorkspace(dir, ts, { count: 3, seed: 7 });
      assert.deepEqual(
        a.heldOut.map((f) => f.rel),
        b.heldOut.map((f) => f.rel),
      );
      assert.equal(a.heldOut.length, 3);
      assert.ok(a.heldOut.every((f) => f.text.length >= MIN_HELD_OUT_CHARS && f.rel.startsWith('sub/')));
      assert.equal(a.training.length, ts.length - 3);
      assert.ok(a.training.every((f) => !a.heldOut.some((h) => h.rel === f.rel)));
      const seeds = new Set(
        [1, 2, 3, 4, 5, 6].map((seed) =>
          splitWorkspace(dir, ts, { count: 3, seed })
            .heldOut.map((f) => f.rel)
            .join(),
        ),
      );
      assert.ok(seeds.size > 1, 'the seed changes the pick');
      assert.equal(splitKey(a, ['small']), splitKey(b, ['small']));
      assert.notEqual(splitKey(a, ['small']), splitKey(a, ['tiny']));

      const named = splitWorkspace(dir, all, { heldOut: ['short.ts'], count: 5, seed: 1 });
      assert.deepEqual(
        named.heldOut.map((f) => f.rel),
        ['short.ts'],
      );
      assert.throws(() => splitWorkspace(dir, all, { heldOut: ['ignored.ts'], count: 5, seed: 1 }), /not a file/);
      assert.throws(() => splitWorkspace(dir, ts, { count: 7, seed: 1 }), /held-out-count/);
    } finally {
      cleanup();
    }
  });
});
