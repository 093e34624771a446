import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertCleanError, buildCli, charm } from '../cliHelpers';
import { tempDir, writeFiles } from '../helpers';

const MODEL = ['--units', '16', '--embedding', '8', '--seq-length', '16', '--batch-size', '4', '--eval-every', '2', '--seed', '4'];

function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('charm train --data (prepared data)', function () {
  let tmp: ReturnType<typeof tempDir>;
  let corpus: string;
  let data: string;
  before(function () {
    this.timeout(120_000);
    buildCli();
    tmp = tempDir('charm-train-data-');
    corpus = path.join(tmp.dir, 'corpus');
    data = path.join(tmp.dir, 'data');
    const lines = Array.from({ length: 200 }, (_, i) => `${i}: a line of text — “quoted” ${'q'.repeat(i % 6)} 🙂\r\n`).join('');
    writeFiles(corpus, { 'a.txt': lines, 'b/c.md': '# notes\nsome notes\n'.repeat(30) });
    assert.equal(charm(['prepare', corpus, '--out', data, '--val-fraction', '0.25']).status, 0);
  });
  after(() => tmp.cleanup());

  it('trains on the same data as charm train on the files: same vocabulary, statistics, corpus identity and losses', () => {
    const fromData = path.join(tmp.dir, 'from-data');
    const fromFiles = path.join(tmp.dir, 'from-files');
    const a = charm(['train', '--data', data, '--out', fromData, '--max-steps', '4', ...MODEL, '--json']);
    assert.equal(a.status, 0, a.stderr);
    const b = charm(['train', corpus, '--out', fromFiles, '--max-steps', '4', '--val-fraction', '0.25', ...MODEL, '--json']);
    assert.equal(b.status, 0, b.stderr);
    const config = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'latest', 'config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    assert.equal(fs.readFileSync(path.join(fromData, 'latest', 'vocab.json'), 'utf8'), fs.readFileSync(path.join(fromFiles, 'latest', 'vocab.json'), 'utf8'));
    assert.deepEqual(config(fromData).corpus, config(fromFiles).corpus);
    assert.equal(config(fromData).training.corpusHash, config(fromFiles).training.corpusHash);
    assert.equal(config(fromData).training.valFraction, 0.25, 'the split of the prepared data');
    const losses = (stdout: string) =>
      events(stdout)
        .filter((e) => e.event === 'step' || e.event === 'eval')
        .map((e) => [e.event, e.loss, e.valLoss]);
    assert.deepEqual(losses(a.stdout), losses(b.stdout));

    // A model trained on the files resumes on the prepared data (the same text): no fine-tune.
    const r = charm(['train', '--data', data, '--out', fromFiles, '--resume', '--max-steps', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const start = events(r.stdout).find((e) => e.event === 'start');
    assert.equal(start?.fineTuning, false);
    assert.equal(start?.startStep, 4);
  });

  it('refuses damaged data, a second split and files beside --data, each in one line', () => {
    const out = path.join(tmp.dir, 'refused');
    assertCleanError(charm(['train', '--data', data, '--out', out, '--val-fraction', '0.1']), /split with --val-fraction 0.25: prepare it again/);
    assertCleanError(charm(['train', corpus, '--data', data, '--out', out]), /not both/);
    assertCleanError(charm(['train', '--data', corpus, '--out', out]), /holds no prepared data/);
    const damaged = path.join(tmp.dir, 'damaged');
    fs.cpSync(data, damaged, { recursive: true });
    const bin = path.join(damaged, 'train.bin');
    const bytes = fs.readFileSync(bin);
    bytes[10] ^= 1;
    fs.writeFileSync(bin, bytes);
    assertCleanError(charm(['train', '--data', damaged, '--out', out]), /train\.bin does not match its checksum/);
    assert.equal(fs.existsSync(out), false, 'nothing written');
  });
});
