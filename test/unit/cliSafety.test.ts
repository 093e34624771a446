/**
 * Issue #12 through the bundled CLI: info verifies checkpoints, a closed stdout does not kill
 * training, signals save (SIGTERM 143, SIGHUP 129), a second Ctrl-C mid-save leaves a clean,
 * loadable folder, one writer per --out, and the smaller reporting fixes.
 */
import * as assert from 'node:assert/strict';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHARM_BIN, ROOT, assertCleanError, buildCli, charm } from './cliHelpers';
import { repetitiveText, tempDir, writeFiles } from './helpers';

const TINY = ['--units', '16', '--embedding', '8', '--seq-length', '16', '--batch-size', '4'];

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CHARM_BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves when `stream`'s text so far matches `pattern`. */
function waitFor(stream: NodeJS.ReadableStream, pattern: RegExp, seen: { text: string }): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (pattern.test(seen.text)) {
        stream.off('data', onData);
        resolve();
      }
    };
    const onData = (d: Buffer) => {
      seen.text += d.toString();
      check();
    };
    stream.on('data', onData);
    check();
  });
}

function collect(stream: NodeJS.ReadableStream): { text: string } {
  const seen = { text: '' };
  stream.on('data', (d: Buffer) => {
    seen.text += d.toString();
  });
  return seen;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

function infoOf(model: string): { progress: { step: number; bestValLoss: number | null }; corpus: Record<string, unknown> } {
  const r = charm(['info', '--model', model, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof infoOf>;
}

describe('charm CLI under faults (issue #12)', function () {
  this.timeout(120_000);
  const tmp = tempDir('charm-cli-safety-');
  const corpus = path.join(tmp.dir, 'corpus');
  const model = path.join(tmp.dir, 'model');

  before(function () {
    buildCli();
    writeFiles(corpus, { 'a.txt': repetitiveText(5000), 'logo.bin': new Uint8Array([0, 1, 2, 0, 3]), '.env': 'PASSWORD=hunter2\n' });
    const r = charm(['train', corpus, '--out', model, ...TINY, '--max-steps', '6', '--eval-every', '3']);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => tmp.cleanup());

  describe('7. info verifies the checkpoint', () => {
    it('reports a truncated weights.bin, a failed checksum and a damaged optimizer state as clear errors', () => {
      const truncated = path.join(tmp.dir, 'truncated');
      fs.cpSync(path.join(model, 'best'), truncated, { recursive: true });
      fs.truncateSync(path.join(truncated, 'weights.bin'), 100);
      assertCleanError(
        charm(['info', '--model', truncated]),
        /Unreadable checkpoint: weights\.bin has 100 bytes, expected \d+; the file is truncated or corrupted/,
      );
      const corrupt = path.join(tmp.dir, 'corrupt');
      fs.cpSync(path.join(model, 'latest'), corrupt, { recursive: true });
      const bytes = fs.readFileSync(path.join(corrupt, 'optimizer.bin'));
      bytes[3] ^= 0xff;
      fs.writeFileSync(path.join(corrupt, 'optimizer.bin'), bytes);
      assertCleanError(charm(['info', '--model', corrupt, '--json']), /optimizer\.bin fails its checksum/);
    });
  });

  describe('8. a closed stdout', () => {
    it('stops printing but keeps training to the end and saves (charm train … | head -1)', async () => {
      const out = path.join(tmp.dir, 'epipe');
      const child = start(['train', corpus, '--out', out, ...TINY, '--max-steps', '60', '--eval-every', '20', '--json']);
      const stderr = { text: '' };
      child.stderr.on('data', (d: Buffer) => {
        stderr.text += d.toString();
      });
      await waitFor(child.stdout, /\n/, { text: '' });
      child.stdout.destroy();
      const { code } = await exited(child);
      assert.equal(code, 0, stderr.text);
      assert.doesNotMatch(stderr.text, /EPIPE|\n\s+at /, 'no stack trace');
      assert.equal(infoOf(path.join(out, 'latest')).progress.step, 60);
    });
  });

  describe('9. signals', () => {
    it('SIGTERM saves and exits 143; with no evaluation yet, "Best validation loss -"', async () => {
      const out = path.join(tmp.dir, 'sigterm');
      const child = start(['train', corpus, '--out', out, ...TINY, '--max-steps', '100000', '--eval-every', '100000']);
      const stdout = { text: '' };
      await waitFor(child.stdout, /Training: /, stdout);
      child.stdout.on('data', (d: Buffer) => {
        stdout.text += d.toString();
      });
      await new Promise((r) => setTimeout(r, 800));
      child.kill('SIGTERM');
      const { code } = await exited(child);
      assert.equal(code, 143);
      assert.match(stdout.text, /Best validation loss -\. Model in/);
      assert.ok(infoOf(path.join(out, 'latest')).progress.step >= 1);
    });

    it('SIGHUP (the terminal closed) saves like SIGTERM and exits 129', async () => {
      const out = path.join(tmp.dir, 'sighup');
      const child = start(['train', corpus, '--out', out, ...TINY, '--max-steps', '100000', '--eval-every', '100000', '--json']);
      await waitFor(child.stdout, /("event":"step".*\n.*){3}/, { text: '' });
      child.kill('SIGHUP');
      const { code } = await exited(child);
      assert.equal(code, 129);
      assert.ok(infoOf(path.join(out, 'latest')).progress.step >= 3);
    });

    it('a second quick Ctrl-C in the middle of a save leaves no temp folder and a loadable checkpoint', async () => {
      const out = path.join(tmp.dir, 'double-ctrl-c');
      const child = start(['train', corpus, '--out', out, ...TINY, '--max-steps', '100000', '--eval-every', '2', '--json'], {
        CHARM_TEST_SAVE_STAGES: '1',
        CHARM_TEST_SAVE_DELAY_MS: '150',
      });
      const stdout = collect(child.stdout);
      const stderr = collect(child.stderr);
      await until(() => /"event":"checkpoint".*"best":false/.test(stdout.text));
      child.kill('SIGINT');
      await until(() => /"event":"interrupt"/.test(stdout.text));
      // A save of latest/ caught between moving the old folder away and renaming the new one in.
      const from = stderr.text.length;
      await until(() => stderr.text.slice(from).includes('charm-test-save-stage latest moved-old'));
      child.kill('SIGINT');
      const { code } = await exited(child);
      assert.equal(code, 130);
      assert.deepEqual(
        fs.readdirSync(out).filter((n) => n.includes('.tmp-')),
        [],
      );
      const latest = infoOf(out).progress.step;
      assert.ok(latest >= 2);
      const resumed = charm(['train', corpus, '--out', out, '--resume', '--max-steps', '1', '--json']);
      assert.equal(resumed.status, 0, resumed.stderr);
    });
  });

  describe('4. one writer per --out, in the CLI', () => {
    it('a second training names the first (pid, command, start time) and exits with one line', async () => {
      const out = path.join(tmp.dir, 'two-writers');
      const child = start(['train', corpus, '--out', out, ...TINY, '--max-steps', '100000', '--eval-every', '100000', '--json']);
      await waitFor(child.stdout, /"event":"step"/, { text: '' });
      try {
        assertCleanError(
          charm(['train', corpus, '--out', out, '--resume', '--max-steps', '1']),
          new RegExp(
            `is being written by another training \\(pid ${child.pid}, charm train .* --out ${out} .*, started \\d\\d:\\d\\d\\); wait for it or stop it`,
          ),
        );
      } finally {
        child.kill('SIGINT');
        await exited(child);
      }
    });
  });

  describe('9. smaller fixes', () => {
    it('--max-file-kb -1 names the flag', () => {
      assertCleanError(charm(['train', corpus, '--out', path.join(tmp.dir, 'x'), '--max-file-kb', '-1']), /--max-file-kb must be more than 0, got -1/);
      assert.ok(!fs.existsSync(path.join(tmp.dir, 'x')), 'a refused run leaves no folder behind');
    });

    it('the --json start event and info list the files read and the skipped counts by reason; "1 file"', () => {
      const out = path.join(tmp.dir, 'reported');
      const r = charm(['train', corpus, '--out', out, ...TINY, '--max-steps', '2', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const startEvent = JSON.parse(r.stdout.split('\n')[0]) as { event: string; skipped: Record<string, number>; files: string[] };
      assert.equal(startEvent.event, 'start');
      assert.deepEqual(startEvent.skipped, { binary: 1, secret: 1 });
      assert.deepEqual(startEvent.files, [path.join(corpus, 'a.txt')]);
      const info = infoOf(out);
      assert.deepEqual(info.corpus.skipped, { binary: 1, secret: 1 });
      assert.deepEqual(info.corpus.filesRead, [path.join(corpus, 'a.txt')]);
      const human = charm(['info', '--model', out]);
      assert.match(human.stdout, /Corpus: +1 file, [\d,]+ characters .*; skipped 2 \(1 binary, 1 secret\)/);
      assert.match(human.stdout, /Files read: .*a\.txt/);
    });
  });
});
