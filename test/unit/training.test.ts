import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/accel';
import { CharModel } from '../../src/model/charModel';
import { TextGenerator } from '../../src/model/sampler';
import { loadCheckpoint } from '../../src/training/checkpoint';
import { runTrainingSession, SessionHooks } from '../../src/training/session';
import { CharDataset } from '../../src/training/dataset';
import { DEFAULT_HYPERPARAMETERS, Hyperparameters } from '../../src/training/hyperparameters';
import { EvalEvent, StepEvent, TrainingLoop, TrainingLoopHooks, TrainingLoopResult } from '../../src/training/trainingLoop';
import { repetitiveText, tempDir, writeFiles } from './helpers';

const TINY = { units: 32, embedding: 16 } as const;
const FAST = { seqLength: 24, batchSize: 8, evalEvery: 10, patience: 0, learningRate: 1e-2 } as const;

/**
 * A TrainingLoop run of a 16-unit LSTM on 3,000 ids of a 7-symbol cycle (fast enough for hundreds of
 * steps); `clock` is the loop's clock, `beforeBatch` runs as each training batch is drawn.
 */
async function runTinyLoop(
  options: Hyperparameters,
  hooks: TrainingLoopHooks,
  seams: { clock?: () => number; beforeBatch?: () => void } = {},
): Promise<TrainingLoopResult> {
  const ids = Int32Array.from({ length: 3000 }, (_, k) => k % 7);
  const model = CharModel.create({ cell: 'lstm', vocabSize: 7, embedding: 8, units: 16, layers: 1 }, 3);
  const dataset = new CharDataset(ids, { ...options, valFraction: 0.1 });
  const { beforeBatch } = seams;
  if (beforeBatch) {
    const trainBatch = dataset.trainBatch.bind(dataset);
    dataset.trainBatch = (...args) => {
      beforeBatch();
      return trainBatch(...args);
    };
  }
  const trainer = new TrainingLoop(model, dataset, options, {}, seams.clock);
  try {
    return await trainer.run(hooks);
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

function recorder() {
  const steps: StepEvent[] = [];
  const evals: EvalEvent[] = [];
  const checkpoints: { step: number; best: boolean }[] = [];
  const hooks: SessionHooks = {
    onStep: (e) => steps.push(e),
    onEval: (e) => evals.push(e),
    onCheckpoint: (e) => checkpoints.push(e),
  };
  return { steps, evals, checkpoints, hooks };
}

describe('training, checkpoints and resume', function () {
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    await initBackend('auto');
    tmp = tempDir();
    writeFiles(tmp.dir, { 'corpus/cats.txt': repetitiveText(6000) });
  });
  after(() => tmp.cleanup());

  it('loss falls on a small repetitive corpus, and best/ and latest/ are written', async () => {
    const out = path.join(tmp.dir, 'model-a');
    const r = recorder();
    const result = await runTrainingSession({ paths: [path.join(tmp.dir, 'corpus')], out, ...TINY, options: { ...FAST, maxSteps: 120 } }, r.hooks);
    assert.equal(result.stepsThisRun, 120);
    const first = r.steps.slice(0, 5).reduce((a, s) => a + s.loss, 0) / 5;
    const last = r.steps.slice(-5).reduce((a, s) => a + s.loss, 0) / 5;
    assert.ok(first > 2, `starts near log(vocab), got ${first}`);
    assert.ok(last < first * 0.5, `loss should at least halve: ${first} -> ${last}`);
    assert.ok(r.evals.length >= 6 && r.evals.every((e) => e.valLoss !== null));
    assert.ok(r.evals[r.evals.length - 1].valLoss! < r.evals[0].valLoss!);
    for (const kind of ['best', 'latest']) {
      for (const file of ['config.json', 'vocab.json', 'weights.json', 'weights.bin']) {
        assert.ok(fs.existsSync(path.join(out, kind, file)), `${kind}/${file}`);
      }
    }
    assert.ok(fs.existsSync(path.join(out, 'latest', 'optimizer.bin')));
    assert.ok(r.checkpoints.some((c) => c.best));
  });

  it('a checkpoint round trip gives identical logits', async () => {
    const out = path.join(tmp.dir, 'model-a');
    const loaded = await loadCheckpoint(out, { prefer: 'latest' });
    const again = await loadCheckpoint(path.join(out, 'latest'));
    const ids = tf.tensor2d(loaded.vocab.encode('the cat sat'), [1, 11], 'int32');
    const a = loaded.model.logits(ids);
    const b = again.model.logits(ids);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.equal(loaded.meta.progress.step, 120);
    tf.dispose([ids, a, b]);
    loaded.model.dispose();
    again.model.dispose();
  });

  it('resume continues the step count, history and optimizer state', async () => {
    const out = path.join(tmp.dir, 'model-a');
    const before = await loadCheckpoint(out, { prefer: 'latest', withOptimizer: true });
    assert.equal(before.optimizer?.step, 120);
    before.model.dispose();
    const r = recorder();
    const result = await runTrainingSession({ paths: [path.join(tmp.dir, 'corpus')], out, resume: true, options: { maxSteps: 15 } }, r.hooks);
    assert.equal(r.steps[0].step, 121);
    assert.equal(result.progress.step, 135);
    const after = await loadCheckpoint(out, { prefer: 'latest', withOptimizer: true });
    assert.equal(after.meta.progress.step, 135);
    assert.equal(after.optimizer?.step, 135);
    assert.equal(after.meta.history.train.length, 135);
    assert.ok(after.meta.history.val.length > 12);
    // A resumed run on the same corpus keeps its place; losses stay low rather than restarting.
    assert.ok(r.steps[0].loss < 2, `resumed loss ${r.steps[0].loss}`);
    after.model.dispose();
    after.optimizer?.m.forEach((t) => t.dispose());
    after.optimizer?.v.forEach((t) => t.dispose());
  });

  it('fine-tuning on new text keeps the vocabulary and maps unseen characters to unknown', async () => {
    const out = path.join(tmp.dir, 'model-a');
    writeFiles(tmp.dir, { 'other/new.txt': repetitiveText(3000).toUpperCase() + ' ✨ 漢字 ' });
    const warnings: string[] = [];
    const result = await runTrainingSession(
      { paths: [path.join(tmp.dir, 'other')], out, resume: true, fineTune: true, options: { maxSteps: 5 } },
      { onWarning: (m) => warnings.push(m) },
    );
    assert.equal(result.progress.step, 140);
    assert.ok(
      warnings.some((w) => /not in the model's vocabulary/.test(w)),
      warnings.join('\n'),
    );
    const loaded = await loadCheckpoint(out, { prefer: 'latest' });
    assert.equal(loaded.vocab.idOf('✨'), loaded.vocab.unknownId);
    assert.notEqual(loaded.vocab.idOf('c'), loaded.vocab.unknownId);
    loaded.model.dispose();
  });

  it('tensor count stays flat across training steps', async () => {
    const out = path.join(tmp.dir, 'model-leak');
    const counts: number[] = [];
    await runTrainingSession(
      { paths: [path.join(tmp.dir, 'corpus')], out, ...TINY, options: { ...FAST, maxSteps: 25 } },
      {
        onStep: () => counts.push(tf.memory().numTensors),
      },
    );
    assert.equal(counts.length, 25);
    assert.equal(counts[24], counts[2], `tensors grew: ${counts.join(',')}`);
  });
});

describe('time budget', () => {
  before(async () => {
    await initBackend('auto');
  });

  // A fake clock: a step takes 1 s (after it is measured) plus `measuredStepSeconds` (while it is
  // measured), and writing a checkpoint 5 s, whatever the machine's speed.
  async function budgetedRun(maxSeconds: number, evalEvery: number, measuredStepSeconds = 0): Promise<{ steps: number; evalAt: number[]; endsAt: number }> {
    let clock = 0;
    const options = { ...DEFAULT_HYPERPARAMETERS, seqLength: 16, batchSize: 4, learningRate: 1e-2, maxSeconds, evalEvery, patience: 0 };
    const evalAt: number[] = [];
    const result = await runTinyLoop(
      options,
      {
        onStep: () => {
          clock += 1;
        },
        onEval: (e) => evalAt.push(e.step),
        save: async () => {
          clock += 5;
        },
      },
      {
        clock: () => clock,
        beforeBatch: () => {
          clock += measuredStepSeconds;
        },
      },
    );
    return { steps: result.stepsThisRun, evalAt, endsAt: clock };
  }

  it('stops training early enough for the final evaluation and save, as measured at the last evaluation', async () => {
    // Steps 1-5 take 5 s; the evaluation at step 5 saves best/ and latest/ (10 s); with 25 s in all,
    // the 10 s it measured (12 with the margin) must stay free, so training stops at once.
    const run = await budgetedRun(25, 5);
    assert.equal(run.steps, 5);
    assert.deepEqual(run.evalAt, [5]);
    // Without evaluations along the way the first estimate is used, and the budget still ends in steps.
    const noEval = await budgetedRun(30, 1000);
    assert.ok(noEval.steps > 1 && noEval.steps < 30, `steps ${noEval.steps}`);
    assert.deepEqual(noEval.evalAt, [noEval.steps]);
  });

  it('does not start a step that would end past the time left for training', async () => {
    // Steps of 4.9 s (3.9 measured): the evaluation at step 2 ends at 19.8 s and measured 10 s
    // (12 with the margin), so 22 of the 34 s are for training; a third step would end at 24.7 s,
    // and its final evaluation at 34.7 s.
    const run = await budgetedRun(34, 2, 3.9);
    assert.equal(run.steps, 2);
    assert.ok(run.endsAt <= 34, `ends at ${run.endsAt} s`);
  });
});

describe('sampling', () => {
  let model: CharModel;
  let codec: Awaited<ReturnType<typeof loadCheckpoint>>['vocab'];
  const tmp = tempDir();
  before(async () => {
    await initBackend('auto');
    writeFiles(tmp.dir, { 'c.txt': repetitiveText(4000) });
    await runTrainingSession({ paths: [path.join(tmp.dir, 'c.txt')], out: path.join(tmp.dir, 'm'), ...TINY, options: { ...FAST, maxSteps: 40 } });
    const loaded = await loadCheckpoint(path.join(tmp.dir, 'm'));
    model = loaded.model;
    codec = loaded.vocab;
  });
  after(() => {
    model.dispose();
    tmp.cleanup();
  });

  it('is deterministic with a seed, and another seed gives other text', () => {
    const run = (seed: number) => {
      const g = new TextGenerator(model, codec);
      g.feed('the cat ');
      const r = g.generate({ maxLength: 60, temperature: 1.5, seed });
      g.dispose();
      return r.text;
    };
    assert.equal(run(7), run(7));
    assert.notEqual(run(7), run(8));
  });

  it('temperature 0 always takes the most likely character', () => {
    const g = new TextGenerator(model, codec);
    g.feed('the cat sat on the');
    const expected: number[] = [];
    const probe = new TextGenerator(model, codec);
    probe.feed('the cat sat on the');
    for (let k = 0; k < 20; k++) {
      const logits = probe.nextLogits();
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (i !== codec.unknownId && logits[i] > logits[best]) best = i;
      if (best === codec.unknownId) best = 1;
      expected.push(best);
      probe.feedIds(Int32Array.of(best));
    }
    const r = g.generate({ maxLength: 20, temperature: 0, seed: 1 });
    assert.equal(r.text, codec.decode(expected));
    assert.ok(r.meanLogProb < 0 && r.meanLogProb > -1.5, `a trained model is confident here: ${r.meanLogProb}`);
    g.dispose();
    probe.dispose();
  });

  it('carries state: priming at once equals feeding piece by piece', () => {
    const a = new TextGenerator(model, codec);
    a.feed('the cat sat on');
    const b = new TextGenerator(model, codec);
    for (const ch of 'the cat sat on') b.feed(ch);
    const la = Array.from(a.nextLogits());
    const lb = Array.from(b.nextLogits());
    la.forEach((v, k) => assert.ok(Math.abs(v - lb[k]) < 1e-4));
    a.dispose();
    b.dispose();
  });

  it('ends at a stop string and leaves it out', () => {
    const g = new TextGenerator(model, codec);
    g.feed('the cat sat on the mat. the');
    const r = g.generate({ maxLength: 200, temperature: 0, stop: [' '] });
    assert.equal(r.stoppedBy, 'stop');
    assert.ok(!r.text.includes(' '));
    assert.ok(r.chars < 200);
    g.dispose();
  });
});

describe('plateaus: the learning rate halves before training stops early', () => {
  before(async () => {
    await initBackend('auto');
  });

  // A rate so small that float32 weights cannot move: every evaluation after the first is a plateau.
  async function plateauRun(patience: number, maxSteps: number) {
    const options = {
      ...DEFAULT_HYPERPARAMETERS,
      seqLength: 16,
      batchSize: 4,
      learningRate: 1e-12,
      schedule: 'none' as const,
      maxSteps,
      evalEvery: 2,
      patience,
    };
    const rates: number[] = [];
    const warnings: string[] = [];
    const latest = new Map<number, number>();
    const result = await runTinyLoop(options, {
      onStep: (e) => rates.push(e.learningRate),
      onWarning: (m) => warnings.push(m),
      save: async (kind, state) => {
        if (kind === 'latest') latest.set(state.progress.step, state.progress.learningRateScale);
      },
    });
    return { result, rates, warnings, latest };
  }

  it('halves the rate at each plateau while it is above a tenth of the base, then stops', async () => {
    const { result, rates, warnings, latest } = await plateauRun(2, 400);
    // Evaluations at steps 2, 4, ...: the first sets the best; every 2 without improvement halve the
    // rate (1 -> 1/2 -> 1/4 -> 1/8 -> 1/16); at 1/16, below a tenth, the next plateau stops the run.
    assert.equal(result.stopReason, 'early-stopping');
    assert.equal(warnings.length, 4, warnings.join('\n'));
    assert.match(warnings[0], /not improved for 2 evaluations .*: halved the learning rate \(now x0\.5\)/);
    assert.equal(result.progress.learningRateScale, 1 / 16);
    assert.equal(result.stepsThisRun, 2 + 5 * 4);
    assert.deepEqual([...new Set(rates)], [1e-12, 5e-13, 2.5e-13, 1.25e-13, 6.25e-14]);
    // latest/ holds the rate the run goes on with: a resume after step 6 starts halved.
    assert.equal(latest.get(4), 1);
    assert.equal(latest.get(6), 0.5);
  });

  it('patience 0 never stops nor halves', async () => {
    const { result, warnings } = await plateauRun(0, 40);
    assert.equal(result.stopReason, 'budget');
    assert.equal(result.stepsThisRun, 40);
    assert.deepEqual(warnings, []);
  });
});
