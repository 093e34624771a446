import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { tempDir, writeFiles } from './helpers';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'charm.js');

function charm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PASSWORD = 'hunter2-very-secret';
// Assembled at run time so that this file holds no token a scanner would flag.
const API_KEY = ['sk', 'live', '4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c'].join('-');

describe('charm CLI: secrets in files are not learned', function () {
  this.timeout(120_000);
  const tmp = tempDir('charm-cli-secrets-');
  const corpus = path.join(tmp.dir, 'corpus');
  // Small and repeated, so that the tiny model learns it by heart in a few seconds.
  const train = (out: string, extra: string[] = []) =>
    charm([
      'train',
      corpus,
      '--out',
      out,
      '--preset',
      'tiny',
      '--seq-length',
      '32',
      '--batch-size',
      '16',
      '--learning-rate',
      '0.01',
      '--max-steps',
      '80',
      '--eval-every',
      '1000',
      '--seed',
      '1',
      ...extra,
    ]);
  const recite = (model: string, prime: string) => charm(['sample', '--model', model, '--prime', prime, '--temperature', '0', '--length', '40']);

  before(() => {
    // The CLI runs from the bundle: building it also shows that esbuild bundles secretlint.
    const build = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    writeFiles(corpus, {
      'notes.txt': `water the plants\npassword = ${PASSWORD}\n`.repeat(60),
      'settings.ini': `[service]\nAPI_KEY=${API_KEY}\n`.repeat(40),
    });
  });
  after(() => tmp.cleanup());

  it('replaces them when training, so sampling after "password = " gives the placeholder, not the password', () => {
    const model = path.join(tmp.dir, 'redacted');
    const r = train(model);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Corpus: .*; 100 secrets replaced in 2 files/);
    for (const [prime, secret] of [
      ['password = ', PASSWORD],
      ['API_KEY=', API_KEY],
    ]) {
      const s = recite(model, prime);
      assert.equal(s.status, 0, s.stderr);
      assert.ok(!s.stdout.includes(secret.slice(0, 8)), `recited: ${s.stdout}`);
      // It did learn the file: the placeholder comes where the value was.
      assert.ok(s.stdout.startsWith(`${prime}<secret>`), s.stdout);
    }
  });

  it('keeps them with --include-secrets: the same training then recites the password', () => {
    const model = path.join(tmp.dir, 'kept');
    const r = train(model, ['--include-secrets']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /secrets? replaced/);
    const s = recite(model, 'password = ');
    assert.equal(s.status, 0, s.stderr);
    assert.ok(s.stdout.includes(PASSWORD), s.stdout);
  });
});
