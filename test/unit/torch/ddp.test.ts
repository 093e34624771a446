/**
 * The PyTorch trainer under torchrun with two processes (gloo): it learns, the ranks keep identical
 * weights, rank 0 alone writes, and Charm loads what it wrote with PyTorch's logits; resuming works
 * both ways (PyTorch -> charm train, charm train -> PyTorch) with the step count and Adam's state.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/accel';
import { loadCheckpoint, readCheckpointMeta, verifyCheckpoint } from '../../../src/training/checkpoint';
import { runTrainingSession } from '../../../src/training/session';
import { repetitiveText, tempDir, writeFiles } from '../helpers';
import { PYTHON, pythonEnv, readRankDebug, requireTorch, torchLogits, torchrunArgs, TORCHRUN, TRAIN_PY, writePreparedData } from './prepared';

/** The tiny preset's model, on short sequences and small batches so a few dozen steps take seconds. */
const FAST = ['--preset', 'tiny', '--seq-length', '32', '--batch-size', '8'];
const TEXT = repetitiveText(12000);
const IDS = [
  [1, 2, 3, 4, 5, 6, 7, 8],
  [8, 7, 6, 5, 4, 3, 2, 1],
];

async function maxLogitDifference(dir: string): Promise<number> {
  const loaded = await loadCheckpoint(dir);
  try {
    const charm = tf.tidy(() => loaded.model.logits(tf.tensor2d(IDS, [2, 8], 'int32')).arraySync());
    const torch = torchLogits(dir, IDS);
    assert.equal(torch.length, charm.length);
    let max = 0;
    charm.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - torch[i][j])))));
    return max;
  } finally {
    loaded.model.dispose();
  }
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function optimizerStepOf(dir: string): number {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8')) as { optimizer: { step: number } }).optimizer.step;
}

describe('charm_torch: DDP training and Charm checkpoints', function () {
  this.timeout(180_000);
  let tmp: ReturnType<typeof tempDir>;
  let data: string;
  let out: string;
  let debug: string;
  let corpus: string;
  let run: { status: number | null; stdout: string; stderr: string };

  before(async () => {
    requireTorch();
    await initBackend('cpu');
    tmp = tempDir('charm-torch-');
    corpus = path.join(tmp.dir, 'corpus');
    writeFiles(corpus, { 'cats.txt': TEXT });
    data = path.join(tmp.dir, 'data');
    writePreparedData(data, TEXT);
    out = path.join(tmp.dir, 'out');
    debug = path.join(tmp.dir, 'debug');
    const args = ['--data', data, '--out', out, ...FAST, '--max-steps', '30', '--eval-every', '10', '--debug', debug];
    run = spawnSync(TORCHRUN, torchrunArgs(2, path.join(tmp.dir, 'logs'), args), { encoding: 'utf8', env: pythonEnv(), timeout: 120_000 });
  });

  after(() => tmp.cleanup());

  it('trains 30 steps with two processes, and the loss falls', () => {
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /2 processes x batch 8 x 32 chars/);
    const meta = readCheckpointMeta(path.join(out, 'latest'));
    assert.equal(meta.progress.step, 30);
    assert.equal(meta.progress.charsSeen, 30 * 2 * 8 * 32, 'both ranks count');
    assert.match(meta.backend, /^pytorch-.*-gloox2$/);
    const train = meta.history.train.map(([, loss]) => loss);
    assert.ok(mean(train.slice(-5)) < 0.7 * mean(train.slice(0, 5)), `training loss should fall: ${train.map((l) => l.toFixed(2)).join(' ')}`);
    const val = meta.history.val.map(([, loss]) => loss);
    assert.equal(val.length, 3);
    assert.ok(val[2] < val[0], `validation loss should fall: ${val.join(' ')}`);
  });

  it('keeps identical weights on both ranks, and only rank 0 writes', () => {
    const [zero, one] = [readRankDebug(debug, 0), readRankDebug(debug, 1)];
    assert.equal(zero.phase, 'finished');
    assert.equal(one.phase, 'finished');
    assert.equal(zero.steps, 30);
    assert.equal(zero.weightsSha256, one.weightsSha256, 'the ranks diverged');
    assert.deepEqual(one.wrote, []);
    assert.ok(zero.wrote.includes(path.join(out, 'latest')) && zero.wrote.includes(path.join(out, 'best')), zero.wrote.join(', '));
    // Nothing else in the folder: no temporary folders, no lock left behind.
    assert.deepEqual(fs.readdirSync(out).sort(), ['best', 'latest']);
  });

  it("writes checkpoints Charm verifies and loads, with PyTorch's logits (LSTM)", async () => {
    verifyCheckpoint(out, 'latest');
    verifyCheckpoint(out, 'best');
    const loaded = await loadCheckpoint(out, { prefer: 'latest', withOptimizer: true });
    assert.equal(loaded.optimizer?.step, 30);
    loaded.model.dispose();
    loaded.optimizer?.m.forEach((t) => t.dispose());
    loaded.optimizer?.v.forEach((t) => t.dispose());
    const difference = await maxLogitDifference(path.join(out, 'best'));
    assert.ok(difference < 1e-4, `logits differ by ${difference}`);
  });

  it("gives Charm's logits for a two-layer GRU too (one process, without torchrun; uint32 ids)", async () => {
    const gru = path.join(tmp.dir, 'gru');
    const wide = path.join(tmp.dir, 'data-uint32');
    writePreparedData(wide, TEXT, 0.1, 'uint32');
    const r = spawnSync(PYTHON, [TRAIN_PY, '--data', wide, '--out', gru, ...FAST, '--cell', 'gru', '--layers', '2', '--max-steps', '4', '--eval-every', '2'], {
      encoding: 'utf8',
      env: pythonEnv(),
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const meta = readCheckpointMeta(path.join(gru, 'best'));
    assert.deepEqual({ cell: meta.model.cell, layers: meta.model.layers }, { cell: 'gru', layers: 2 });
    const difference = await maxLogitDifference(path.join(gru, 'best'));
    assert.ok(difference < 1e-4, `logits differ by ${difference}`);
  });

  it('is continued by charm train --resume, with its step count and optimizer state', async () => {
    const copy = path.join(tmp.dir, 'to-charm');
    fs.cpSync(out, copy, { recursive: true });
    const result = await runTrainingSession({ paths: [corpus], out: copy, resume: true, backend: 'cpu', options: { maxSteps: 3, evalEvery: 3 } });
    assert.equal(result.stepsThisRun, 3);
    const latest = path.join(copy, 'latest');
    const meta = readCheckpointMeta(latest);
    assert.equal(meta.progress.step, 33);
    assert.equal(optimizerStepOf(latest), 33, "Adam's step continues");
    assert.equal(meta.history.train.length, 33, 'the history carries over');
  });

  it('continues a charm train checkpoint with two processes, with its step count and optimizer state', async () => {
    const fromCharm = path.join(tmp.dir, 'from-charm');
    await runTrainingSession({
      paths: [corpus],
      out: fromCharm,
      preset: 'tiny',
      backend: 'cpu',
      options: { seqLength: 32, batchSize: 8, maxSteps: 4, evalEvery: 4 },
    });
    const charmOptimizer = (JSON.parse(fs.readFileSync(path.join(fromCharm, 'latest', 'weights.json'), 'utf8')) as { optimizer: { sha256: string } }).optimizer;
    const resumeDebug = path.join(tmp.dir, 'resume-debug');
    const args = ['--data', data, '--out', fromCharm, '--resume', '--max-steps', '3', '--eval-every', '3', '--debug', resumeDebug];
    const r = spawnSync(TORCHRUN, torchrunArgs(2, path.join(tmp.dir, 'resume-logs'), args), { encoding: 'utf8', env: pythonEnv(), timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Resuming from step 4/);
    assert.match(r.stdout, /from the start of an epoch \(it was written by `charm train`/, 'says what restarts');
    // Both ranks hold Charm's moments (rank 0 read them and sent them to rank 1).
    for (const rank of [0, 1]) {
      const info = readRankDebug(resumeDebug, rank);
      assert.equal(info.resumedOptimizerSha256, charmOptimizer.sha256, `rank ${rank}: Adam's moments are Charm's, byte for byte`);
      assert.equal(info.optimizerStep, 7);
    }
    assert.equal(readRankDebug(resumeDebug, 0).weightsSha256, readRankDebug(resumeDebug, 1).weightsSha256);
    const latest = path.join(fromCharm, 'latest');
    const meta = readCheckpointMeta(latest);
    assert.equal(meta.progress.step, 7);
    assert.equal(optimizerStepOf(latest), 7);
    assert.equal(meta.training.seqLength, 32, "the run's shape comes from the checkpoint");
    const difference = await maxLogitDifference(latest);
    assert.ok(difference < 1e-4, `logits differ by ${difference}`);
  });
});
