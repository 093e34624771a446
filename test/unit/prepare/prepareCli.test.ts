import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHARM_BIN, ROOT, assertCleanError, buildCli, charm } from '../cliHelpers';
import { tempDir, writeFiles } from '../helpers';
import { folderBytes, readManifest } from './preparedData';

function prose(lines: number, salt: number): string {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) parts.push(`${i * salt}: the quick brown fox — “jumps” over ${'z'.repeat(i % 5)} the lazy dog 🦊\n`);
  return parts.join('');
}

/** The names of the temporary folders next to `out`. */
function temps(out: string): string[] {
  return fs.readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.prepare-tmp-`));
}

describe('charm prepare (CLI)', function () {
  let tmp: ReturnType<typeof tempDir>;
  let corpus: string;
  /** About 24 MB in 24 files: long enough to land a kill or a Ctrl-C in the middle. */
  let big: string;
  before(function () {
    this.timeout(120_000);
    buildCli();
    tmp = tempDir('charm-prepare-cli-');
    corpus = path.join(tmp.dir, 'corpus');
    big = path.join(tmp.dir, 'big');
    const file = prose(12_000, 1);
    const files: Record<string, string> = {};
    for (let i = 0; i < 24; i++) files[`f${i}.txt`] = `${i}\n${file}`;
    writeFiles(big, files);
    writeFiles(corpus, { 'a.txt': prose(300, 3), 'src/b.ts': 'export const x = 1;\r\n'.repeat(100), '.env': 'KEY=1\n', 'c.bin': new Uint8Array([0, 1, 2]) });
  });
  after(() => tmp.cleanup());

  it('matches the vocabulary and corpus statistics of a model charm train makes of the same files', () => {
    const model = path.join(tmp.dir, 'model');
    const data = path.join(tmp.dir, 'data');
    const split = ['--val-fraction', '0.2', '--seed', '3'];
    const t = charm([
      'train',
      corpus,
      '--out',
      model,
      '--units',
      '16',
      '--embedding',
      '8',
      '--seq-length',
      '16',
      '--batch-size',
      '4',
      '--max-steps',
      '1',
      ...split,
    ]);
    assert.equal(t.status, 0, t.stderr);
    const p = charm(['prepare', corpus, '--out', data, ...split, '--json']);
    assert.equal(p.status, 0, p.stderr);
    const event = JSON.parse(p.stdout.trim()) as { event: string; out: string };
    assert.equal(event.event, 'prepared');
    assert.equal(event.out, data);
    assert.equal(fs.readFileSync(path.join(data, 'vocab.json'), 'utf8'), fs.readFileSync(path.join(model, 'latest', 'vocab.json'), 'utf8'));
    const trained = JSON.parse(fs.readFileSync(path.join(model, 'latest', 'config.json'), 'utf8')) as { corpus: unknown };
    assert.deepEqual(readManifest(data).corpus, trained.corpus);
  });

  it('refuses a corpus with nothing to read: one line, exit code 1, no folder written', () => {
    const skippedOnly = path.join(tmp.dir, 'skipped-only');
    writeFiles(skippedOnly, { '.env': 'A=1\n', 'x.bin': new Uint8Array([0, 0, 7]), 'empty.txt': '' });
    const out = path.join(tmp.dir, 'nothing');
    const r = charm(['prepare', skippedOnly, '--out', out]);
    assertCleanError(r, /^charm: The corpus is empty: no readable text files in .*skipped 2 \(1 binary, 1 secret\)\)$/);
    assert.equal(r.status, 1);
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(temps(out), []);
  });

  it('says what is missing on bad input', () => {
    assertCleanError(charm(['prepare', corpus]), /--out DIR/);
    assertCleanError(charm(['prepare', '--out', path.join(tmp.dir, 'x')]), /name at least one file or folder/);
    assertCleanError(charm(['prepare', corpus, '--out', path.join(tmp.dir, 'x'), '--val-fraction', '1']), /--val-fraction must be in \[0, 1\)/);
    assertCleanError(charm(['prepare', corpus, '--out', path.join(tmp.dir, 'x'), '--vocab-size', '1']), /vocabulary size must be a whole number of at least 2/);
    assertCleanError(charm(['prepare', path.join(tmp.dir, 'no-such'), '--out', path.join(tmp.dir, 'x')]), /No such file or folder/);
  });

  it('killed with SIGKILL mid-write, leaves the previous complete folder (or none), and the next run cleans up', async function () {
    this.timeout(90_000);
    const small = path.join(tmp.dir, 'small');
    writeFiles(small, { 'one.txt': prose(50, 9) });

    for (const withPrevious of [false, true]) {
      const out = path.join(tmp.dir, withPrevious ? 'replaced' : 'fresh');
      let before: Record<string, Buffer> | undefined;
      if (withPrevious) {
        assert.equal(charm(['prepare', small, '--out', out]).status, 0);
        before = folderBytes(out);
      }
      const child = spawn(process.execPath, [CHARM_BIN, 'prepare', big, '--out', out, '--overwrite', '--max-file-kb', '4000'], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      // Kill once the temporary folder holds some written data.
      const killed = await new Promise<boolean>((resolve) => {
        const poll = setInterval(() => {
          if (child.exitCode !== null) {
            clearInterval(poll);
            resolve(false);
            return;
          }
          const t = temps(out);
          const spool = t.length ? path.join(path.dirname(out), t[0], 'corpus.spool') : '';
          if (spool && fs.existsSync(spool) && fs.statSync(spool).size > 1_000_000) {
            clearInterval(poll);
            child.kill('SIGKILL');
            resolve(true);
          }
        }, 5);
      });
      const end = await exited;
      assert.ok(killed && end.signal === 'SIGKILL', `the kill landed before the end (exit ${end.code})`);
      assert.equal(temps(out).length, 1, 'the dead writer left its temporary folder');
      if (before) assert.deepEqual(folderBytes(out), before, 'the previous folder is intact');
      else assert.equal(fs.existsSync(out), false, 'no half folder under the name');

      const again = charm(['prepare', small, '--out', out, '--overwrite']);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(temps(out), [], "the dead writer's folder is removed");
      assert.equal(readManifest(out).corpus.filesRead?.length, 1);
    }
  });

  it('stops on Ctrl-C (SIGINT) with exit code 130, leaving no folder and no temporary one', async function () {
    this.timeout(60_000);
    const out = path.join(tmp.dir, 'interrupted');
    const child = spawn(process.execPath, [CHARM_BIN, 'prepare', big, '--out', out, '--max-file-kb', '4000'], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (child.exitCode !== null || temps(out).length > 0) {
          clearInterval(poll);
          child.kill('SIGINT');
          resolve();
        }
      }, 5);
    });
    assert.equal(await exited, 130);
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(temps(out), []);
  });
});
