import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildCorpus } from '../../../src/training/corpus';
import { DEFAULT_SECRET_PATTERNS } from '../../../src/training/corpusRules';
import { expandBraces, filesExcludeToGitignore, globToGitignore } from '../../../src/extension/training/filesExclude';
import { corpusRules, evalEveryFor, isBaseNamePattern, trainingRequestFromSettings } from '../../../src/extension/training/trainingRequest';
import { DEFAULT_SETTINGS, readSettings } from '../../../src/extension/settings';
import { tempDir, writeFiles } from '../helpers';

describe('files.exclude glob conversion', () => {
  it('expands braces, nested ones too', () => {
    assert.deepEqual(expandBraces('*.{js,ts}'), ['*.js', '*.ts']);
    assert.deepEqual(expandBraces('{a,b{c,d}}/x'), ['a/x', 'bc/x', 'bd/x']);
    assert.deepEqual(expandBraces('{a,b}/{c,d}'), ['a/c', 'a/d', 'b/c', 'b/d']);
    assert.deepEqual(expandBraces('no braces'), ['no braces']);
    assert.deepEqual(expandBraces('unbalanced{a,b'), ['unbalanced{a,b']);
    assert.deepEqual(expandBraces('\\{a,b}'), ['\\{a,b}'], 'an escaped brace is literal');
  });

  it('anchors patterns that VS Code matches from the folder top, keeps **/ ones', () => {
    assert.equal(globToGitignore('**/.git'), '**/.git');
    assert.equal(globToGitignore('node_modules'), '/node_modules');
    assert.equal(globToGitignore('out/**'), '/out/**');
    assert.equal(globToGitignore('./build'), '/build');
    assert.equal(globToGitignore('#notes'), '/\\#notes');
    assert.equal(globToGitignore('**'), undefined);
    assert.equal(globToGitignore('/abs/path'), undefined);
    assert.equal(globToGitignore('C:\\x'), undefined);
  });

  it('drops entries set to false and conditional ones', () => {
    assert.deepEqual(
      filesExcludeToGitignore({
        '**/.git': true,
        '**/*.{log,tmp}': true,
        docs: false,
        '**/*.js': { when: '$(basename).ts' },
      }),
      ['**/.git', '**/*.log', '**/*.tmp'],
    );
    assert.deepEqual(filesExcludeToGitignore(undefined), []);
    assert.deepEqual(filesExcludeToGitignore('nonsense'), []);
  });
});

describe('corpus collection rules (settings -> engine)', () => {
  it('excludes the secret patterns by default, as secrets', () => {
    const rules = corpusRules(DEFAULT_SETTINGS);
    assert.deepEqual(rules.secretPatterns, [...DEFAULT_SECRET_PATTERNS]);
    assert.deepEqual(rules.exclude, []);
    assert.equal(rules.maxFileBytes, 1000 * 1024);
  });

  it('sends path patterns of charm.training.exclude and files.exclude to the walker', () => {
    const settings = readSettings((k) =>
      k === 'training.exclude' ? ['*.pem', 'data/raw/', 'fixtures/**/*.json'] : k === 'training.maxFileSizeKB' ? 2 : undefined,
    );
    const rules = corpusRules(settings, { 'out/**': true, '**/*.min.js': true });
    assert.deepEqual(rules.secretPatterns, ['*.pem']);
    assert.deepEqual(rules.exclude, ['data/raw/', 'fixtures/**/*.json', '/out/**', '**/*.min.js']);
    assert.equal(rules.maxFileBytes, 2048);
    assert.equal(isBaseNamePattern('build/'), true);
    assert.equal(isBaseNamePattern('a/b'), false);
  });

  it('collects a multi-root workspace honouring files.exclude, .gitignore, secrets, size and binary rules', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFiles(dir, {
        'one/.gitignore': 'ignored.txt\n',
        'one/src/a.ts': 'export const a = 1;\n',
        'one/ignored.txt': 'ignored by git\n',
        'one/out/b.js': 'build output\n',
        'one/.env': 'API_KEY=secret\n',
        'one/deep/Server.PEM': 'key\n',
        'one/big.txt': 'x'.repeat(4000),
        'one/img.bin': Buffer.from([0, 1, 2, 3, 0]),
        'two/notes.md': '# notes\n',
        'two/lib/c.min.js': 'minified\n',
        'two/node_modules/dep/index.js': 'dependency\n',
      });
      const settings = readSettings((k) => (k === 'training.maxFileSizeKB' ? 2 : undefined));
      const job = trainingRequestFromSettings({
        paths: [path.join(dir, 'one'), path.join(dir, 'two')],
        out: path.join(dir, 'model'),
        mode: 'new',
        settings,
        filesExclude: { 'out/**': true, '**/*.min.js': true, 'notes.md': false },
      });
      const corpus = await buildCorpus(job.paths, job.corpus);
      const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
      assert.deepEqual(
        corpus.files.map((f) => rel(f.path)),
        ['one/.gitignore', 'one/src/a.ts', 'two/notes.md'],
      );
      const skipped = Object.fromEntries(corpus.skipped.map((s) => [rel(s.path), s.reason]));
      assert.equal(skipped['one/ignored.txt'], 'ignored');
      assert.equal(skipped['one/out/b.js'], 'excluded');
      assert.equal(skipped['one/.env'], 'secret');
      assert.equal(skipped['one/deep/Server.PEM'], 'secret', 'secret patterns ignore case');
      assert.equal(skipped['one/big.txt'], 'too-large');
      assert.equal(skipped['one/img.bin'], 'binary');
      assert.equal(skipped['two/lib/c.min.js'], 'excluded');
      assert.equal(skipped['two/node_modules'], 'ignored');
    } finally {
      cleanup();
    }
  });

  it('continuing a model keeps its shape (no preset); new and replace use the preset', () => {
    const base = { paths: ['/w'], out: '/m', settings: DEFAULT_SETTINGS };
    assert.equal(trainingRequestFromSettings({ ...base, mode: 'continue' }).preset, undefined);
    assert.equal(trainingRequestFromSettings({ ...base, mode: 'continue' }).resume, true);
    assert.equal(trainingRequestFromSettings({ ...base, mode: 'continue' }).fineTune, true, "continuing is the user's choice to fine-tune");
    assert.equal(trainingRequestFromSettings({ ...base, mode: 'new' }).fineTune, false);
    assert.deepEqual(
      [trainingRequestFromSettings({ ...base, mode: 'replace' }).overwrite, trainingRequestFromSettings({ ...base, mode: 'replace' }).preset],
      [true, 'small'],
    );
    assert.equal(trainingRequestFromSettings({ ...base, mode: 'new' }).maxSeconds, 600);
    assert.ok(evalEveryFor(0.5) < evalEveryFor(60));
  });
});
