import * as assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharmError } from '../../src/errors';
import { Corpus, DEFAULT_SECRET_PATTERNS, buildCorpus, decodeText, describeCorpus } from '../../src/training/corpus';

type Tree = Record<string, string | Buffer>;

let tmp: string;

/** Writes `tree` (relative path -> content) under a fresh folder and returns its path. */
async function makeTree(tree: Tree): Promise<string> {
  const root = await fsp.mkdtemp(path.join(tmp, 'tree-'));
  // Written in reverse so the result cannot depend on creation order.
  for (const rel of Object.keys(tree).reverse()) {
    const file = path.join(root, ...rel.split('/'));
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, tree[rel]);
  }
  return root;
}

/** File paths relative to `root`, with '/' separators. */
function names(c: Corpus, root: string): string[] {
  return c.files.map((f) => rel(f.path, root));
}

function rel(p: string, root: string): string {
  return path.relative(root, p).split(path.sep).join('/');
}

function skips(c: Corpus, root: string): Record<string, string> {
  return Object.fromEntries(c.skipped.map((s) => [rel(s.path, root), s.reason]));
}

describe('buildCorpus', () => {
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'charm-corpus-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('reads folders recursively in sorted order and joins files with the separator', async () => {
    const root = await makeTree({ 'b.txt': 'B', 'a/z.txt': 'AZ', 'a/b.txt': 'AB', 'c.txt': 'C' });
    const c = await buildCorpus([root]);
    assert.deepEqual(names(c, root), ['a/b.txt', 'a/z.txt', 'b.txt', 'c.txt']);
    assert.equal(c.text, 'AB\n\nAZ\n\nB\n\nC');
    assert.deepEqual(
      c.files.map((f) => f.chars),
      [2, 2, 1, 1],
    );
    assert.deepEqual(c.skipped, []);
    const again = await buildCorpus([root], { separator: '|' });
    assert.equal(again.text, 'AB|AZ|B|C');
  });

  it('keeps the order of the given paths and reads a file named twice once', async () => {
    const root = await makeTree({ 'a.txt': 'A', 'b.txt': 'B' });
    const c = await buildCorpus([path.join(root, 'b.txt'), root, path.join(root, 'a.txt')]);
    assert.equal(c.text, 'B\n\nA');
    assert.deepEqual(names(c, root), ['b.txt', 'a.txt']);
  });

  it('skips empty files without adding a separator', async () => {
    const root = await makeTree({ 'a.txt': 'A', 'b.txt': '', 'c.txt': 'C' });
    const c = await buildCorpus([root]);
    assert.equal(c.text, 'A\n\nC');
    assert.deepEqual(names(c, root), ['a.txt', 'c.txt']);
  });

  it('returns an empty corpus without error when nothing is readable', async () => {
    const root = await makeTree({ 'x.bin': Buffer.from([0, 1, 2]) });
    const c = await buildCorpus([root]);
    assert.equal(c.text, '');
    assert.deepEqual(c.files, []);
    assert.equal(c.skipped.length, 1);
    assert.deepEqual(await buildCorpus([]), { text: '', files: [], skipped: [], redacted: [] });
  });

  it('throws a CharmError for a missing path before reading anything', async () => {
    const root = await makeTree({ 'a.txt': 'A' });
    const missing = path.join(root, 'nope');
    await assert.rejects(buildCorpus([root, missing]), (e: unknown) => {
      assert.ok(e instanceof CharmError);
      assert.equal(e.message, `No such file or folder: ${missing}`);
      return true;
    });
    await assert.rejects(buildCorpus([path.join(root, 'a.txt', 'below')]), CharmError);
  });

  describe('.gitignore', () => {
    it('honours the root .gitignore, including negation and folder patterns', async () => {
      const root = await makeTree({
        '.gitignore': '# comment\n*.log\n!keep.log\nbuild/\n/top.txt\n',
        'a.txt': 'a',
        'debug.log': 'x',
        'keep.log': 'kept',
        'build/out.txt': 'x',
        'top.txt': 'x',
        'sub/top.txt': 'nested top is not anchored',
        'sub/deep.log': 'x',
      });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['.gitignore', 'a.txt', 'keep.log', 'sub/top.txt']);
      assert.deepEqual(skips(c, root), {
        build: 'ignored',
        'debug.log': 'ignored',
        'top.txt': 'ignored',
        'sub/deep.log': 'ignored',
      });
    });

    it('applies a nested .gitignore to its own subtree, relative to its folder', async () => {
      const root = await makeTree({
        '.gitignore': '*.tmp\n',
        'x.tmp': 'x',
        'local.txt': 'root local.txt is kept',
        'sub/.gitignore': 'local.txt\n/anchored.txt\n!wanted.tmp\n',
        'sub/local.txt': 'x',
        'sub/anchored.txt': 'x',
        'sub/wanted.tmp': 'wanted',
        'sub/other.tmp': 'x',
        'sub/deeper/anchored.txt': 'kept: anchored to sub/',
        'sub/deeper/local.txt': 'x',
        'other/local.txt': 'kept',
      });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['.gitignore', 'local.txt', 'other/local.txt', 'sub/.gitignore', 'sub/deeper/anchored.txt', 'sub/wanted.tmp']);
      assert.deepEqual(skips(c, root), {
        'x.tmp': 'ignored',
        'sub/anchored.txt': 'ignored',
        'sub/deeper/local.txt': 'ignored',
        'sub/local.txt': 'ignored',
        'sub/other.tmp': 'ignored',
      });
    });

    it('lets a nested .gitignore re-include a folder, as git does', async () => {
      // Checked against `git status --ignored`: a/out is re-included, but *.log in the
      // root file still applies inside it, and b/out stays ignored.
      const root = await makeTree({
        '.gitignore': 'out/\n*.log\n',
        'a/.gitignore': '!out/\n',
        'a/out/x.txt': 'x',
        'a/out/y.log': 'y',
        'b/out/z.txt': 'z',
      });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['.gitignore', 'a/.gitignore', 'a/out/x.txt']);
      assert.deepEqual(skips(c, root), { 'a/out/y.log': 'ignored', 'b/out': 'ignored' });
    });

    it('does not descend into an ignored folder, so a negation cannot re-include files in it', async () => {
      const root = await makeTree({ '.gitignore': 'gen/\n!gen/keep.txt\n', 'gen/keep.txt': 'x', 'a.txt': 'a' });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['.gitignore', 'a.txt']);
      assert.deepEqual(skips(c, root), { gen: 'ignored' });
    });

    it('honours .gitignore files above the folder up to the repository top', async () => {
      const repo = await makeTree({
        '.git/HEAD': 'ref: refs/heads/main\n',
        '.gitignore': '*.log\nsrc/gen/\ndist/\n',
        'src/a.ts': 'a',
        'src/b.log': 'x',
        'src/gen/g.ts': 'x',
        'dist/out.js': 'named explicitly',
        'dist/out.log': 'x',
      });
      const c = await buildCorpus([path.join(repo, 'src')]);
      assert.deepEqual(names(c, repo), ['src/a.ts']);
      assert.deepEqual(skips(c, repo), { 'src/b.log': 'ignored', 'src/gen': 'ignored' });

      // An ignored folder named explicitly is read, but the rules still apply inside it.
      const d = await buildCorpus([path.join(repo, 'dist')]);
      assert.deepEqual(names(d, repo), ['dist/out.js']);
      assert.deepEqual(skips(d, repo), { 'dist/out.log': 'ignored' });
    });

    it('reads an explicitly named file even if a .gitignore ignores it', async () => {
      const root = await makeTree({ '.gitignore': '*.log\n', 'x.log': 'explicit' });
      const c = await buildCorpus([path.join(root, 'x.log')]);
      assert.equal(c.text, 'explicit');
      const walked = await buildCorpus([root]);
      assert.deepEqual(skips(walked, root), { 'x.log': 'ignored' });
    });
  });

  it('never walks into .git, node_modules or other VCS folders', async () => {
    const root = await makeTree({
      '.git/config': 'x',
      '.hg/store': 'x',
      '.svn/entries': 'x',
      'node_modules/pkg/index.js': 'x',
      'sub/node_modules/pkg/index.js': 'x',
      'src/a.js': 'a',
    });
    const c = await buildCorpus([root]);
    assert.deepEqual(names(c, root), ['src/a.js']);
    // Reported once per folder, never per file inside.
    assert.deepEqual(skips(c, root), {
      '.git': 'ignored',
      '.hg': 'ignored',
      '.svn': 'ignored',
      node_modules: 'ignored',
      'sub/node_modules': 'ignored',
    });
  });

  describe('content rules', () => {
    it('skips binary files: a NUL byte or invalid UTF-8', async () => {
      const root = await makeTree({
        'nul.txt': Buffer.from('abc\0def'),
        'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
        'bad.txt': Buffer.from([0xc3, 0x28]),
        'utf16.txt': Buffer.from('\ufeffhi', 'utf16le'),
        'ok.txt': 'héllo 😀',
      });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['ok.txt']);
      assert.equal(c.text, 'héllo 😀');
      assert.deepEqual(skips(c, root), {
        'bad.txt': 'binary',
        'latin1.txt': 'binary',
        'nul.txt': 'binary',
        'utf16.txt': 'binary',
      });
    });

    it('turns CRLF and lone CR into LF and strips a UTF-8 BOM', async () => {
      const root = await makeTree({
        'crlf.txt': 'a\r\nb\r\n',
        'cr.txt': 'c\rd\r\r\ne',
        'bom.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('bom\r\n')]),
      });
      const c = await buildCorpus([root], { separator: '|' });
      assert.equal(c.text, 'bom\n|c\nd\n\ne|a\nb\n');
      assert.deepEqual(
        c.files.map((f) => f.chars),
        [4, 6, 4],
      );
      assert.equal(decodeText(Buffer.from('\ufeff\ufeffx')), '\ufeffx', 'only one leading BOM is dropped');
    });

    it('skips files above maxFileBytes in folders, counting bytes rather than chars; a file named on purpose is read', async () => {
      const root = await makeTree({ 'small.txt': '12345', 'big.txt': '1234567890A', 'wide.txt': 'ééé' });
      const c = await buildCorpus([root], { maxFileBytes: 5 });
      assert.deepEqual(names(c, root), ['small.txt']);
      assert.deepEqual(skips(c, root), { 'big.txt': 'too-large', 'wide.txt': 'too-large' });
      const explicit = await buildCorpus([path.join(root, 'big.txt')], { maxFileBytes: 5 });
      assert.deepEqual(explicit.skipped, []);
      assert.equal(explicit.text, '1234567890A');
    });

    it('rejects nonsense limits with a CharmError', async () => {
      const root = await makeTree({ 'a.txt': 'a' });
      await assert.rejects(buildCorpus([root], { maxFileBytes: 0 }), CharmError);
      await assert.rejects(buildCorpus([root], { maxTotalChars: Number.NaN }), CharmError);
    });
  });

  describe('secrets', () => {
    const secretFiles: Tree = {
      '.env': 'TOKEN=1',
      '.env.local': 'TOKEN=2',
      '.ENV.Production': 'TOKEN=3',
      'server.pem': 'x',
      'tls.key': 'x',
      id_rsa: 'x',
      'id_ed25519.pub': 'x',
      'aws_credentials.json': 'x',
      'SECRETS.yaml': 'x',
      '.npmrc': 'x',
      'app.secret': 'x',
      'store.kdbx': 'x',
      deploy_rsa: 'x',
    };

    it('skips secret files by default, matching base names case-insensitively', async () => {
      const root = await makeTree({ ...secretFiles, 'notes.txt': 'fine', 'config/.env': 'x', 'keyboard.ts': 'fine' });
      const c = await buildCorpus([root]);
      assert.deepEqual(names(c, root), ['keyboard.ts', 'notes.txt']);
      const reasons = skips(c, root);
      for (const name of [...Object.keys(secretFiles), 'config/.env']) assert.equal(reasons[name], 'secret', name);
    });

    it('keeps them with includeSecrets', async () => {
      const root = await makeTree(secretFiles);
      const c = await buildCorpus([root], { includeSecrets: true });
      assert.equal(c.files.length, Object.keys(secretFiles).length);
      assert.deepEqual(c.skipped, []);
    });

    it('skips an explicitly named secret file and says so', async () => {
      const root = await makeTree({ '.env': 'TOKEN=1' });
      const file = path.join(root, '.env');
      const c = await buildCorpus([file]);
      assert.equal(c.text, '');
      assert.deepEqual(c.skipped, [{ path: file, reason: 'secret' }]);
      assert.equal((await buildCorpus([file], { includeSecrets: true })).text, 'TOKEN=1');
    });

    it('exports the default patterns and accepts a replacement list', async () => {
      assert.ok(DEFAULT_SECRET_PATTERNS.includes('.env'));
      assert.ok(DEFAULT_SECRET_PATTERNS.includes('*.pem'));
      const root = await makeTree({ '.env': 'x', 'private.txt': 'y' });
      const c = await buildCorpus([root], { secretPatterns: ['private.*'] });
      assert.deepEqual(names(c, root), ['.env']);
      assert.deepEqual(skips(c, root), { 'private.txt': 'secret' });
    });
  });

  it('applies exclude patterns in gitignore syntax relative to each folder', async () => {
    const root = await makeTree({
      'a.ts': 'a',
      'README.md': 'x',
      'docs/guide.txt': 'x',
      'src/b.ts': 'b',
      'src/b.min.js': 'x',
      'src/.DS_Store': 'x',
    });
    const c = await buildCorpus([root], { exclude: ['*.md', '/docs/', '**/*.min.js', '**/.DS_Store'] });
    assert.deepEqual(names(c, root), ['a.ts', 'src/b.ts']);
    assert.deepEqual(skips(c, root), {
      'README.md': 'excluded',
      docs: 'excluded',
      'src/.DS_Store': 'excluded',
      'src/b.min.js': 'excluded',
    });
    // A file named explicitly is read, like a gitignored one.
    const explicit = await buildCorpus([path.join(root, 'README.md')], { exclude: ['*.md'] });
    assert.equal(explicit.text, 'x');
  });

  it('stops at maxTotalChars, cutting the last file and listing the rest as "limit"', async () => {
    const root = await makeTree({ 'a.txt': 'aaaa', 'b.txt': 'bbbb', 'c.txt': 'cccc' });
    const c = await buildCorpus([root], { maxTotalChars: 8, separator: '|' });
    assert.equal(c.text, 'aaaa|bbb');
    assert.deepEqual(c.files, [
      { path: path.join(root, 'a.txt'), chars: 4 },
      { path: path.join(root, 'b.txt'), chars: 3 },
    ]);
    assert.deepEqual(skips(c, root), { 'b.txt': 'limit', 'c.txt': 'limit' });

    const exact = await buildCorpus([root], { maxTotalChars: 9, separator: '|' });
    assert.equal(exact.text, 'aaaa|bbbb');
    assert.deepEqual(skips(exact, root), { 'c.txt': 'limit' });
  });

  it('never cuts a surrogate pair at the limit', async () => {
    const root = await makeTree({ 'e.txt': 'a😀b' });
    const c = await buildCorpus([root], { maxTotalChars: 2 });
    assert.equal(c.text, 'a');
  });

  it('does not follow symlinked folders but reads symlinked files', async function () {
    const root = await makeTree({ 'real/a.txt': 'A' });
    try {
      await fsp.symlink(path.join(root, 'real'), path.join(root, 'loop'), 'dir');
      await fsp.symlink(root, path.join(root, 'real', 'up'), 'dir');
      await fsp.symlink(path.join(root, 'real', 'a.txt'), path.join(root, 'alias.txt'), 'file');
    } catch {
      this.skip(); // Creating symlinks needs a privilege on Windows.
    }
    const outside = await makeTree({ 'o.txt': 'O', id_rsa: 'secret' });
    await fsp.symlink(path.join(outside, 'o.txt'), path.join(root, 'other.txt'), 'file');
    await fsp.symlink(path.join(outside, 'id_rsa'), path.join(root, 'innocent.txt'), 'file');
    const c = await buildCorpus([root]);
    // alias.txt and real/a.txt are one file: it is read once, under the first name met.
    assert.deepEqual(names(c, root), ['alias.txt', 'other.txt']);
    assert.equal(c.text, 'A\n\nO');
    assert.deepEqual(skips(c, root), { 'innocent.txt': 'secret' });
  });

  it('can be cancelled with an AbortSignal', async () => {
    const root = await makeTree({ 'a.txt': 'a' });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(buildCorpus([root], { signal: controller.signal }), { name: 'AbortError' });
  });

  it('is deterministic', async () => {
    const tree: Tree = {};
    for (let i = 0; i < 60; i++) tree[`d${i % 7}/f${(i * 37) % 60}.txt`] = `file ${i}`;
    const root = await makeTree(tree);
    const first = await buildCorpus([root]);
    const second = await buildCorpus([root]);
    assert.deepEqual(second, first);
    const sorted = [...names(first, root)].sort();
    assert.deepEqual(names(first, root), sorted);
  });

  it('walks thousands of files', async () => {
    const tree: Tree = {};
    for (let i = 0; i < 3000; i++) tree[`d${i % 50}/e${i % 7}/f${i}.txt`] = `line ${i}\n`.repeat(20);
    const root = await makeTree(tree);
    const c = await buildCorpus([root]);
    assert.equal(c.files.length, 3000);
  });

  it('describes a corpus in one line', async () => {
    const root = await makeTree({ 'a.txt': 'hello', 'b.bin': Buffer.from([0]), '.env': 'x', 'c.bin': Buffer.from([0]) });
    const c = await buildCorpus([root]);
    assert.equal(describeCorpus(c), '1 file, 5 chars; skipped 3 (2 binary, 1 secret)');
    assert.equal(describeCorpus({ text: '', files: [], skipped: [], redacted: [] }), '0 files, 0 chars; nothing skipped');
    const big: Corpus = {
      text: 'x'.repeat(1234),
      files: [
        { path: 'a', chars: 1000 },
        { path: 'b', chars: 232 },
      ],
      skipped: [{ path: 'c', reason: 'limit' }],
      redacted: [],
    };
    assert.equal(describeCorpus(big), '2 files, 1,234 chars; skipped 1 (1 over the total limit)');
    const redacted: Corpus = {
      ...big,
      skipped: [],
      redacted: [
        { path: 'a', count: 2 },
        { path: 'b', count: 1 },
      ],
    };
    assert.equal(describeCorpus(redacted), '2 files, 1,234 chars; nothing skipped; 3 secrets replaced in 2 files');
    const one: Corpus = { ...big, redacted: [{ path: 'a', count: 1 }] };
    assert.equal(describeCorpus(one), '2 files, 1,234 chars; skipped 1 (1 over the total limit); 1 secret replaced in 1 file');
  });
});
