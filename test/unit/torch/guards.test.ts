/** The PyTorch trainer's NaN guard, time budget and interruption, as `charm train` has them (one process, no torchrun). */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpointMeta, verifyCheckpoint } from '../../../src/training/checkpoint';
import { lockCheckpointFolder } from '../../../src/training/checkpointLock';
import { repetitiveText, tempDir } from '../helpers';
import { PYTHON, pythonEnv, requireTorch, TRAIN_PY, waitFor, writePreparedData } from './prepared';

const FAST = ['--preset', 'tiny', '--seq-length', '32', '--batch-size', '8'];

describe('charm_torch: NaN guard, time budget, interruption', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let data: string;

  before(() => {
    requireTorch();
    tmp = tempDir('charm-torch-guards-');
    data = path.join(tmp.dir, 'data');
    writePreparedData(data, repetitiveText(6000));
  });

  after(() => tmp.cleanup());

  it('restores the last good weights and halves the learning rate after a NaN, then goes on', () => {
    const out = path.join(tmp.dir, 'nan');
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...FAST, '--max-steps', '6', '--eval-every', '3'], {
      encoding: 'utf8',
      env: pythonEnv({ CHARM_TORCH_TEST_NAN_AT_STEP: '5' }),
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /loss became nan at step 5: restored the last good weights and halved the learning rate \(now x0\.5\)/);
    const meta = readCheckpointMeta(path.join(out, 'latest'));
    assert.equal(meta.progress.step, 6, 'the bad step is retried on the next batch');
    assert.equal(meta.progress.learningRateScale, 0.5);
    assert.equal(meta.progress.batchInEpoch, 7, 'the batch that blew up is skipped');
    assert.ok(
      meta.history.train.every(([, loss]) => Number.isFinite(loss)),
      'no NaN in the history',
    );
  });

  it('halves the learning rate at each plateau above a tenth of the base, then stops early', () => {
    const out = path.join(tmp.dir, 'plateau');
    // A rate so small that float32 weights cannot move: every evaluation after the first is a plateau.
    const args = [...FAST, '--learning-rate', '1e-12', '--schedule', 'none', '--patience', '1', '--eval-every', '2', '--max-steps', '400'];
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...args], { encoding: 'utf8', env: pythonEnv(), timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const halvings = r.stdout.match(/validation loss has not improved for 1 evaluations: halved the learning rate \(now x[0-9.]+\)/g) ?? [];
    assert.deepEqual(
      halvings.map((m) => m.replace(/.*now x/, '').replace(')', '')),
      ['0.5', '0.25', '0.125', '0.0625'],
      r.stdout,
    );
    const meta = readCheckpointMeta(path.join(out, 'latest'));
    // The first evaluation (step 2) sets the best; each later one halves the rate until it is below a tenth.
    assert.equal(meta.progress.step, 2 + 5 * 2);
    assert.equal(meta.progress.learningRateScale, 1 / 16);
  });

  it("refuses to resume on data whose vocabulary differs from the model's", () => {
    const other = path.join(tmp.dir, 'other-data');
    writePreparedData(other, 'A wholly different alphabet: XYZ 0123456789. '.repeat(100));
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', other, '--out', path.join(tmp.dir, 'nan'), '--resume', '--max-steps', '1'], {
      encoding: 'utf8',
      env: pythonEnv(),
      timeout: 60_000,
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim(), /^charm_torch: error: the vocabulary of .* differs from the model's in .*: the ids would mean other characters/);
    assert.equal(readCheckpointMeta(path.join(tmp.dir, 'nan', 'latest')).progress.step, 6, 'the checkpoint is untouched');
  });

  it('replaces both checkpoints of an old model with --overwrite', () => {
    const out = path.join(tmp.dir, 'nan');
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...FAST, '--overwrite', '--max-steps', '1', '--eval-every', '1000000'], {
      encoding: 'utf8',
      env: pythonEnv(),
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    for (const kind of ['latest', 'best']) assert.equal(readCheckpointMeta(path.join(out, kind)).progress.step, 1, `${kind}/ is the new model's`);
  });

  it('refuses a folder that charm train is writing (its lock)', async () => {
    const out = path.join(tmp.dir, 'locked');
    fs.mkdirSync(out);
    const lock = await lockCheckpointFolder(out, 'charm train (this test)');
    try {
      const r = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...FAST, '--max-steps', '1'], {
        encoding: 'utf8',
        env: pythonEnv(),
        timeout: 60_000,
      });
      assert.equal(r.status, 1);
      assert.match(
        r.stderr.trim(),
        new RegExp(`^charm_torch: error: .* is being written by another training \\(pid ${process.pid} on .*charm train \\(this test\\)`),
      );
      assert.equal(fs.existsSync(path.join(out, 'latest')), false);
    } finally {
      await lock.release();
    }
  });

  it('stops within --max-seconds and saves', () => {
    const out = path.join(tmp.dir, 'budget');
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...FAST, '--max-seconds', '2', '--eval-every', '1000000'], {
      encoding: 'utf8',
      env: pythonEnv(),
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /stopped \(budget\) at step \d+/);
    const meta = verifyCheckpoint(out, 'latest').meta;
    assert.ok(meta.progress.step >= 1 && meta.history.val.length === 1, 'a final evaluation and save');
    assert.equal(meta.training.maxSeconds, 2);
    // Resumed on the same data by the same number of processes: it keeps its place in the batch order.
    const again = spawnSync(PYTHON, [TRAIN_PY, '--data', data, '--out', out, '--resume', '--max-steps', '2', '--eval-every', '1000000'], {
      encoding: 'utf8',
      env: pythonEnv(),
      timeout: 60_000,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /note:/, 'nothing restarts');
    const resumed = readCheckpointMeta(path.join(out, 'latest')).progress;
    assert.equal(resumed.step, meta.progress.step + 2);
    // 5,400 training ids in chunks of 32 make 168 chunks: 21 batches of 8 per epoch.
    const position = (p: { epoch: number; batchInEpoch: number }) => p.epoch * 21 + p.batchInEpoch;
    assert.equal(position(resumed), position(meta.progress) + 2, 'two batches further');
    assert.ok((resumed.bestValLoss ?? Infinity) <= (meta.progress.bestValLoss ?? -Infinity), 'the best loss carried over');
  });

  it('saves latest/ and exits 143 on SIGTERM', async () => {
    const out = path.join(tmp.dir, 'term');
    const job = spawn(PYTHON, [TRAIN_PY, '--data', data, '--out', out, ...FAST, '--max-steps', '100000', '--eval-every', '2'], {
      env: pythonEnv(),
      stdio: 'pipe',
    });
    let stdout = '';
    job.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => job.on('exit', (code) => resolve(code)));
    try {
      await waitFor('a first checkpoint', () => fs.existsSync(path.join(out, 'latest', 'config.json')), 60_000);
      job.kill('SIGTERM');
      assert.equal(await exited, 143, stdout);
      assert.match(stdout, /stopped \(interrupted\) at step (\d+)/);
      const stoppedAt = Number(/stopped \(interrupted\) at step (\d+)/.exec(stdout)?.[1]);
      assert.equal(readCheckpointMeta(path.join(out, 'latest')).progress.step, stoppedAt, 'latest/ holds the last step');
      assert.equal(fs.existsSync(path.join(out, '.charm-lock')), false, 'the lock is released');
    } finally {
      if (job.exitCode === null) job.kill('SIGKILL');
    }
  });
});
