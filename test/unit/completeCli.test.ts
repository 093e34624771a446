import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { COMPLETE_FLAGS } from '../../src/cli/complete';
import { NEVER_CANCELLED } from '../../src/extension/completion/cancellation';
import { CompletionService } from '../../src/extension/completion/completionService';
import { completionInputFrom } from '../../src/extension/completion/input';
import { LocalCompletionModel } from '../../src/extension/inference/localModel';
import { DEFAULT_SETTINGS } from '../../src/extension/settings';
import { repetitiveText, tempDir, writeFiles } from './helpers';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'charm.js');

interface Session {
  status: number | null;
  replies: Record<string, unknown>[];
  stderr: string;
}

/** Runs `charm complete` with these stdin lines (written at once, as a burst) and reads its replies. */
function complete(args: string[], lines: string[]): Session {
  const r = spawnSync(process.execPath, [bin, 'complete', ...args], {
    cwd: root,
    input: lines.map((l) => l + '\n').join(''),
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  const out = r.stdout.trim();
  return { status: r.status, replies: out === '' ? [] : out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
}

const DOC = 'file:///notes.txt';
const PREFIX = 'the cat sat on the ';

function request(id: unknown, before: string, more: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, doc: DOC, offset: before.length, before, after: '', ...more });
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, `no stack trace:\n${stderr}`);
}

describe('charm complete (stdio JSON lines)', function () {
  const tmp = tempDir();
  const corpus = path.join(tmp.dir, 'corpus');
  const model = path.join(tmp.dir, 'model');
  const modelArgs = ['--model', model];

  before(function () {
    this.timeout(120_000);
    const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    writeFiles(corpus, { 'a.txt': repetitiveText(6000) });
    const train = spawnSync(process.execPath, [bin, 'train', corpus, '--out', model, '--preset', 'tiny', '--max-steps', '30', '--seed', '1', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(train.status, 0, train.stderr);
  });
  after(() => tmp.cleanup());

  it('answers good lines in order, with their ids, and completes a predictable prefix', () => {
    const prefixes = [PREFIX, 'the cat ', 'the cat sat on the mat. the ', 'the cat sat on the m'];
    const s = complete(
      [...modelArgs, '--corpus', corpus],
      prefixes.map((p, i) => request(i === 2 ? `s${i}` : i, p)),
    );
    assert.equal(s.status, 0, s.stderr);
    assert.deepEqual(
      s.replies.map((r) => r.id),
      [0, 1, 's2', 3],
    );
    for (const r of s.replies) {
      assert.equal(typeof r.text, 'string');
      assert.ok(typeof r.ms === 'number' && r.ms >= 0);
    }
    assert.ok((s.replies[0].text as string).length > 0, JSON.stringify(s.replies[0]));
    assert.ok('mat. the cat sat on the mat.'.startsWith((s.replies[0].text as string).slice(0, 4)), JSON.stringify(s.replies[0]));
    assert.equal(typeof s.replies[0].p, 'number');
  });

  it('gives the same text for the same request, also after the document is forgotten', () => {
    const s = complete(modelArgs, [request(1, PREFIX), request(2, PREFIX), JSON.stringify({ id: 3, forget: DOC }), request(4, PREFIX)]);
    assert.equal(s.status, 0, s.stderr);
    assert.deepEqual(s.replies[2], { id: 3, ok: true });
    assert.ok((s.replies[0].text as string).length > 0);
    assert.equal(s.replies[1].text, s.replies[0].text);
    assert.equal(s.replies[3].text, s.replies[0].text);
  });

  it('answers for the text sent when the client gives no version (the cache is not fooled by the same offset)', () => {
    // Same document and offset, different text: a constant version would replay the first suggestion.
    const other = 'at. the cat sat on ';
    assert.equal(other.length, PREFIX.length);
    const together = complete(modelArgs, [request(1, PREFIX), request(2, other)]);
    const alone = complete(modelArgs, [request(2, other)]);
    assert.notEqual(together.replies[0].text, alone.replies[0].text, 'the two texts have different suggestions');
    assert.equal(together.replies[1].text, alone.replies[0].text);
  });

  it('takes "saved" lines: the file is learned from disk with the corpus rules, or not with --no-learn-saved', () => {
    const work = path.join(tmp.dir, 'work');
    writeFiles(work, { 'a.txt': repetitiveText(3000), 'new.txt': 'the zebra_quagga ran. '.repeat(30), '.env': 'TOKEN=abc\n' });
    const lines = [
      JSON.stringify({ id: 1, saved: `file://${path.join(work, 'new.txt')}` }),
      JSON.stringify({ id: 2, saved: path.join(work, '.env') }),
      JSON.stringify({ id: 3, saved: path.join(tmp.dir, 'outside.txt') }),
      JSON.stringify({ id: 4, saved: 42 }),
      request(5, 'the zebra_quag'),
    ];
    writeFiles(tmp.dir, { 'outside.txt': 'not in the workspace' });
    const on = complete([...modelArgs, '--corpus', work], lines);
    assert.equal(on.status, 0, on.stderr);
    assert.deepEqual(on.replies.slice(0, 3), [
      { id: 1, ok: true, learned: 'learned' },
      { id: 2, ok: true, learned: 'secret' },
      { id: 3, ok: true, learned: 'outside' },
    ]);
    assert.match(String(on.replies[3].error), /"saved" must be the saved file's path/);
    assert.equal(typeof on.replies[4].text, 'string');
    const off = complete([...modelArgs, '--corpus', work, '--no-learn-saved'], lines.slice(0, 1));
    assert.deepEqual(off.replies, [{ id: 1, ok: true, learned: 'off' }]);
    const missing = complete([...modelArgs, '--corpus', work], [JSON.stringify({ id: 9, saved: path.join(work, 'nope.txt') })]);
    assert.match(String(missing.replies[0].error), /cannot read .*nope\.txt: ENOENT/);
  });

  it('answers each bad line with an error and goes on serving', () => {
    const huge = request(9, 'x'.repeat((1 << 20) + 10));
    const s = complete(modelArgs, [
      'not json',
      request(undefined, PREFIX),
      JSON.stringify([request(1, PREFIX)]),
      request(2, PREFIX, { offset: '19' }),
      request(3, PREFIX, { offset: -1 }),
      request(4, PREFIX, { offset: 2 }),
      huge,
      '',
      request(5, PREFIX),
    ]);
    assert.equal(s.status, 0, s.stderr);
    assert.deepEqual(
      s.replies.map((r) => r.id),
      [null, null, null, 2, 3, 4, null, 5],
      'one reply per non-blank line, in order',
    );
    for (const r of s.replies.slice(0, -1)) assert.ok(typeof r.error === 'string' && r.error.length > 10 && !('text' in r), JSON.stringify(r));
    assert.match(s.replies[1].error as string, /id/);
    assert.match(s.replies[2].error as string, /array/);
    assert.match(s.replies[3].error as string, /offset/);
    assert.match(s.replies[6].error as string, /too long/);
    assert.ok((s.replies[7].text as string).length > 0, 'the good line after them is answered');
  });

  it('ends with 0 at the end of its input, with nothing to answer or with a last line lacking its newline', () => {
    const empty = complete(modelArgs, []);
    assert.equal(empty.status, 0, empty.stderr);
    assert.deepEqual(empty.replies, []);
    const r = spawnSync(process.execPath, [bin, 'complete', ...modelArgs], { cwd: root, input: request(1, PREFIX), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Record<string, unknown>).id, 1);
  });

  it('is in the help, with every flag', () => {
    const r = spawnSync(process.execPath, [bin, 'complete', '--help'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /charm complete --model DIR/);
    for (const flag of Object.keys(COMPLETE_FLAGS)) assert.ok(r.stdout.includes(`--${flag}`), flag);
  });

  it('reports a bad flag or a bad model in one line, exit 1', () => {
    for (const [args, pattern] of [
      [[...modelArgs, '--max-length', '0'], /--max-length must be from 1 to 1000, got 0/],
      [[...modelArgs, '--min-confidence', 'high'], /--min-confidence expects a number/],
      [[...modelArgs, '--languages', '{"ts":1}'], /--languages/],
      [[...modelArgs, '--nope'], /Unknown option --nope/],
      [['--model', path.join(tmp.dir, 'missing')], /No model at/],
      [[], /Missing --model/],
    ] as [string[], RegExp][]) {
      const s = complete(args, [request(1, PREFIX)]);
      assert.equal(s.status, 1, args.join(' '));
      assert.deepEqual(s.replies, []);
      const lines = s.stderr.trim().split('\n');
      assert.equal(lines.length, 1, s.stderr);
      assert.match(lines[0], pattern);
    }
  });

  it('exits quietly when its reader goes away', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, [bin, 'complete', ...modelArgs], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined); // it may be gone before we finish writing
    const first = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdin.write(request(1, PREFIX) + '\n');
    assert.match(await first, /"id":1/);
    child.stdout.destroy();
    // Keep asking: the replies can no longer be delivered.
    for (let i = 2; i < 200; i++) child.stdin.write(request(i, PREFIX.slice(0, 5 + (i % 14))) + '\n');
    child.stdin.end();
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    assert.equal(status, 0, stderr);
    assertNoStack(stderr);
    assert.equal(stderr, '');
  });

  it('replies what CompletionService gives in-process for the same inputs (what the extension shows)', async function () {
    this.timeout(60_000);
    // A session as an editor has it: typing through a line, a jump, text after the cursor, another document.
    const cursors = [
      { doc: DOC, before: 'the cat sat on the ', after: '' },
      { doc: DOC, before: 'the cat sat on the m', after: '' },
      { doc: DOC, before: 'the cat sat on the ma', after: '' },
      { doc: DOC, before: 'the cat sat on the mat. the cat', after: '' },
      { doc: DOC, before: 'the cat sat on the mat. the cat', after: ' the mat.', nextLine: 'the cat' },
      { doc: 'file:///b.txt', before: 'the mat. the cat sat on ', after: '', languageId: 'markdown' },
      { doc: DOC, before: 'the cat sat on the mat. the cat sat ', after: '' },
    ].map((c, i) => ({ ...c, version: i + 1, offset: c.before.length + 3, languageId: c.languageId ?? 'plaintext' }));
    const s = complete(
      modelArgs,
      cursors.map((c, i) => JSON.stringify({ id: i, ...c })),
    );
    assert.equal(s.status, 0, s.stderr);

    const local = await LocalCompletionModel.open({ modelDir: model });
    try {
      const service = new CompletionService(local, () => ({ ...DEFAULT_SETTINGS.inline, debounceMs: 0 }));
      const expected: { text: string; p?: number }[] = [];
      for (const c of cursors) {
        const outcome = await service.provide(completionInputFrom(c), NEVER_CANCELLED);
        expected.push(outcome.kind === 'suggestion' ? { text: outcome.text, p: outcome.confidence } : { text: '' });
      }
      assert.ok(
        expected.some((e) => e.text.length > 0),
        'some suggestions to compare',
      );
      assert.deepEqual(
        s.replies.map((r) => r.text),
        expected.map((e) => e.text),
      );
      s.replies.forEach((r, i) => {
        const p = expected[i].p;
        if (p === undefined) assert.equal(r.p, undefined);
        else assert.ok(Math.abs((r.p as number) - p) < 1e-3, `p ${String(r.p)} vs ${p}`);
      });
    } finally {
      local.dispose();
    }
  });
});
