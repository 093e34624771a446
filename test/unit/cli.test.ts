import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHARM_BIN as bin, ROOT as root, assertCleanError, buildCli, charm } from './cliHelpers';
import { repetitiveText, tempDir, writeFiles } from './helpers';

describe('charm CLI', function () {
  const tmp = tempDir();
  const corpus = path.join(tmp.dir, 'corpus');
  const model = path.join(tmp.dir, 'model');

  before(function () {
    this.timeout(120_000);
    // The CLI runs from the bundle; build it so this file also works under a bare `mocha`.
    buildCli();
    writeFiles(corpus, { 'a.txt': repetitiveText(5000), 'b.md': repetitiveText(3000) });
  });
  after(() => tmp.cleanup());

  it('prints help and lists every command', () => {
    const r = charm(['--help']);
    assert.equal(r.status, 0);
    for (const word of ['train', 'sample', 'eval', 'info', '--resume', '--temperature']) assert.ok(r.stdout.includes(word), word);
  });

  it('trains with --json, reporting start, steps, evals, checkpoints and done', () => {
    const r = charm([
      'train',
      corpus,
      '--out',
      model,
      '--units',
      '32',
      '--embedding',
      '16',
      '--seq-length',
      '24',
      '--batch-size',
      '8',
      '--max-steps',
      '12',
      '--eval-every',
      '5',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events[0].event, 'start');
    assert.ok(['wasm', 'cpu', 'tensorflow'].includes(events[0].backend as string));
    const steps = events.filter((e) => e.event === 'step');
    assert.equal(steps.length, 12);
    assert.ok(steps.every((e) => typeof e.loss === 'number' && (e.charsPerSec as number) > 0));
    assert.ok(events.filter((e) => e.event === 'eval').every((e) => typeof e.valLoss === 'number'));
    assert.ok(events.some((e) => e.event === 'checkpoint' && e.best === true));
    const done = events[events.length - 1];
    assert.equal(done.event, 'done');
    assert.equal(done.steps, 12);
    assert.equal(done.backend, events[0].backend);
  });

  it('samples, evaluates and describes the model as JSON', () => {
    const s = charm(['sample', '--model', model, '--prime', 'the cat', '--length', '30', '--seed', '4', '--json']);
    assert.equal(s.status, 0, s.stderr);
    const sample = JSON.parse(s.stdout) as Record<string, unknown>;
    assert.equal((sample.text as string).length > 0, true);
    assert.ok((sample.msPerChar as number) > 0 && (sample.meanLogProb as number) < 0);
    const again = JSON.parse(charm(['sample', '--model', model, '--prime', 'the cat', '--length', '30', '--seed', '4', '--json']).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(again.text, sample.text, 'same seed, same text');
    const e = charm(['eval', '--model', model, corpus, '--json']);
    assert.equal(e.status, 0, e.stderr);
    const ev = JSON.parse(e.stdout) as Record<string, number>;
    assert.ok(ev.lossNats > 0 && Math.abs(ev.bitsPerChar - ev.lossNats / Math.LN2) < 1e-3 && ev.accuracy > 0 && ev.chars > 7000);
    const i = charm(['info', '--model', model, '--json']);
    assert.equal(i.status, 0, i.stderr);
    assert.equal((JSON.parse(i.stdout) as { progress: { step: number } }).progress.step, 12);
  });

  it('resumes from the saved step', () => {
    const r = charm(['train', corpus, '--out', model, '--resume', '--max-steps', '3', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const steps = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === 'step');
    assert.deepEqual(
      steps.map((e) => e.step),
      [13, 14, 15],
    );
  });

  it('--overwrite replaces a model: the old best/ does not survive', () => {
    const out = path.join(tmp.dir, 'replaced');
    const small = ['--units', '32', '--embedding', '16', '--seq-length', '24', '--batch-size', '8', '--eval-every', '4'];
    assert.equal(charm(['train', corpus, '--out', out, '--max-steps', '8', ...small]).status, 0);
    const r = charm(['train', corpus, '--out', out, '--overwrite', '--max-steps', '2', '--eval-every', '100', ...small.slice(0, -2)]);
    assert.equal(r.status, 0, r.stderr);
    for (const kind of ['best', 'latest']) {
      const info = JSON.parse(charm(['info', '--model', path.join(out, kind), '--json']).stdout) as { progress: { step: number } };
      assert.equal(info.progress.step, 2, kind);
    }
  });

  it('Ctrl-C (SIGINT) saves a checkpoint before exiting', async function () {
    this.timeout(120_000);
    const out = path.join(tmp.dir, 'interrupted');
    const child = spawn(
      process.execPath,
      [
        bin,
        'train',
        corpus,
        '--out',
        out,
        '--units',
        '32',
        '--embedding',
        '16',
        '--seq-length',
        '24',
        '--batch-size',
        '8',
        '--max-steps',
        '100000',
        '--eval-every',
        '100000',
        '--json',
      ],
      { cwd: root },
    );
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && (stdout.match(/"event":"step"/g) ?? []).length >= 5) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 130);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(
      events.some((e) => e.event === 'checkpoint'),
      'a checkpoint was written',
    );
    const info = JSON.parse(charm(['info', '--model', path.join(out, 'latest'), '--json']).stdout) as { progress: { step: number } };
    assert.ok(info.progress.step >= 5);
  });

  describe('bad input gives one clear line and a non-zero exit', () => {
    it('a missing file', () =>
      assertCleanError(charm(['train', path.join(tmp.dir, 'nope.txt'), '--out', path.join(tmp.dir, 'x')]), /No such file or folder: .*nope\.txt/));
    it('an empty corpus', () => {
      writeFiles(tmp.dir, { 'empty/blank.txt': '', 'empty/bin.dat': new Uint8Array([0, 1, 2, 0]) });
      assertCleanError(charm(['train', path.join(tmp.dir, 'empty'), '--out', path.join(tmp.dir, 'x')]), /corpus is empty/);
    });
    it('a corpus shorter than one sequence', () => {
      writeFiles(tmp.dir, { 'short.txt': 'just a few words' });
      assertCleanError(charm(['train', path.join(tmp.dir, 'short.txt'), '--out', path.join(tmp.dir, 'x')]), /too short/);
    });
    it('a bad flag value', () => assertCleanError(charm(['train', corpus, '--batch-size', 'many']), /--batch-size expects an integer/));
    it('an out-of-range flag value', () =>
      assertCleanError(charm(['train', corpus, '--out', path.join(tmp.dir, 'x'), '--learning-rate', '5']), /--learning-rate must be/));
    it('an unknown flag', () => assertCleanError(charm(['sample', '--model', model, '--temprature', '1']), /Unknown option --temprature/));
    it('a bad choice', () => assertCleanError(charm(['train', corpus, '--preset', 'huge']), /--preset expects one of tiny, small, medium, seed/));
    it('a missing model', () => assertCleanError(charm(['sample', '--model', path.join(tmp.dir, 'no-model')]), /No model at/));
    it('a truncated checkpoint', () => {
      const broken = path.join(tmp.dir, 'broken');
      fs.cpSync(path.join(model, 'best'), broken, { recursive: true });
      const weights = path.join(broken, 'weights.bin');
      fs.truncateSync(weights, fs.statSync(weights).size - 100);
      assertCleanError(charm(['sample', '--model', broken]), /Unreadable checkpoint: weights\.bin has .* bytes, expected .*truncated or corrupted/);
    });
    it('a corrupted checkpoint', () => {
      const broken = path.join(tmp.dir, 'corrupt');
      fs.cpSync(path.join(model, 'best'), broken, { recursive: true });
      const weights = path.join(broken, 'weights.bin');
      const bytes = fs.readFileSync(weights);
      bytes[10] ^= 0xff;
      fs.writeFileSync(weights, bytes);
      assertCleanError(charm(['eval', '--model', broken, corpus]), /fails its checksum/);
      fs.writeFileSync(path.join(broken, 'config.json'), '{"format": "charm-che');
      assertCleanError(charm(['info', '--model', broken]), /config\.json is not valid JSON/);
    });
    it('a vocabulary that does not match its model', () => {
      const broken = path.join(tmp.dir, 'vocab-mismatch');
      fs.cpSync(path.join(model, 'latest'), path.join(broken, 'latest'), { recursive: true });
      const vocabFile = path.join(broken, 'latest', 'vocab.json');
      const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8')) as { symbols: string[] };
      vocab.symbols.push('Ω');
      fs.writeFileSync(vocabFile, JSON.stringify(vocab));
      assertCleanError(charm(['train', corpus, '--out', broken, '--resume']), /vocab\.json has \d+ symbols but the model expects \d+/);
    });
    it('resuming with a different model size', () =>
      assertCleanError(charm(['train', corpus, '--out', model, '--resume', '--units', '64']), /Cannot change the model's units/));
    it('resuming without a checkpoint', () =>
      assertCleanError(charm(['train', corpus, '--out', path.join(tmp.dir, 'fresh'), '--resume']), /Cannot resume: no checkpoint/));
    it('training over an existing model without --resume', () => assertCleanError(charm(['train', corpus, '--out', model]), /already holds a model/));
  });
});
