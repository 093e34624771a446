/**
 * The two child processes for real (forked, through tsx): a training run that reports progress and
 * saves checkpoints, stopping and crashing it, and the inference process answering, cancelling and
 * superseding requests, and reloading a newer checkpoint.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancelSource, NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { ChildOptions } from '../../../src/extension/ipc/childProcess';
import { InferenceClient, ModelState } from '../../../src/extension/ipc/inferenceClient';
import { TrainerClient, TrainingOutcome } from '../../../src/extension/ipc/trainerClient';
import { writeMemorySpec } from '../../../src/extension/modelStore';
import { TrainingRequest } from '../../../src/extension/protocol';
import { lockCheckpointFolder } from '../../../src/training/checkpointLock';
import { tempDir, writeFiles } from '../helpers';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src', 'extension');
const child = (name: string, file: string): ChildOptions => ({
  name,
  modulePath: path.join(SRC, file),
  execArgv: ['--require', require.resolve('tsx/cjs')],
  log: process.env.CHARM_TEST_LOG ? (l) => console.log(l) : undefined,
});

const TEXT = 'the quick brown fox jumps over the lazy dog.\n'.repeat(400);

function job(dir: string, more: Partial<TrainingRequest> = {}): TrainingRequest {
  return {
    paths: [path.join(dir, 'corpus')],
    out: path.join(dir, 'model'),
    resume: false,
    overwrite: false,
    preset: 'tiny',
    maxSeconds: 120,
    maxSteps: 12,
    evalEvery: 4,
    backend: 'wasm',
    corpus: { exclude: [], secretPatterns: [], maxFileBytes: 1_000_000 },
    ...more,
  };
}

async function waitForState(client: InferenceClient, kind: ModelState['kind'], ms = 60_000): Promise<ModelState> {
  const deadline = Date.now() + ms;
  while (client.state.kind !== kind) {
    if (Date.now() > deadline) throw new Error(`inference state stayed ${JSON.stringify(client.state)}, expected ${kind}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return client.state;
}

describe('child processes (forked)', function () {
  this.timeout(180_000);
  let dir = '';
  let cleanup = () => undefined as void;

  before(() => {
    ({ dir, cleanup } = tempDir('charm-proc-'));
    writeFiles(dir, { 'corpus/fox.txt': TEXT });
  });
  after(() => cleanup());

  describe('training process', () => {
    it('trains, reporting start, steps, evaluations and checkpoints', async () => {
      const events: string[] = [];
      let lastProgress = 0;
      const run = new TrainerClient(job(dir), child('trainer', 'trainerProcess.ts'), {
        onStarted: (info) => events.push(`started ${info.files} ${info.model.units}`),
        onStep: (e) => {
          lastProgress = e.progress;
        },
        onEval: () => events.push('eval'),
        onCheckpoint: (e) => events.push(`checkpoint ${e.best ? 'best' : 'latest'}`),
      });
      const outcome = await run.outcome;
      assert.deepEqual(outcome.kind === 'finished' && [outcome.stopReason, outcome.step], ['budget', 12]);
      assert.equal(events[0], 'started 1 128');
      assert.ok(events.includes('checkpoint best') && events.includes('checkpoint latest'));
      assert.ok(lastProgress > 0.99);
      for (const f of ['config.json', 'vocab.json', 'weights.json', 'weights.bin', 'optimizer.bin']) {
        assert.ok(fs.existsSync(path.join(dir, 'model', 'latest', f)), f);
      }
    });

    it('reports a user error (a model already there, no resume) as failed, not crashed', async () => {
      const outcome = await new TrainerClient(job(dir), child('trainer', 'trainerProcess.ts')).outcome;
      assert.equal(outcome.kind, 'failed');
      assert.ok(outcome.kind === 'failed' && outcome.userError && /already holds a model/.test(outcome.message));
    });

    it('reports a checkpoint folder locked by another training as a user error naming it', async () => {
      const out = path.join(dir, 'locked-model');
      fs.mkdirSync(out, { recursive: true });
      const lock = await lockCheckpointFolder(out, 'charm train notes/');
      try {
        const outcome = await new TrainerClient(job(dir, { out }), child('trainer', 'trainerProcess.ts')).outcome;
        assert.equal(outcome.kind, 'failed');
        assert.ok(outcome.kind === 'failed' && outcome.userError, 'a user error');
        assert.match(
          outcome.kind === 'failed' ? outcome.message : '',
          new RegExp(`${out} is being written by another training \\(pid ${process.pid}, charm train notes/, started`),
        );
      } finally {
        await lock.release();
      }
    });

    it('stops on request after saving a checkpoint, and resumes from it', async () => {
      let stepsSeen = 0;
      let stopping: Promise<TrainingOutcome> | undefined;
      const run = new TrainerClient(job(dir, { resume: true, maxSteps: 100_000, maxSeconds: 600 }), child('trainer', 'trainerProcess.ts'), {
        onStep: () => {
          if (++stepsSeen === 3) stopping = run.stop();
        },
      });
      const outcome = await run.outcome;
      assert.ok(stopping);
      assert.equal(outcome.kind === 'finished' && outcome.stopReason, 'interrupted');
      assert.ok(outcome.kind === 'finished' && outcome.step > 12, 'resumed from step 12');
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model', 'latest', 'config.json'), 'utf8')) as { progress: { step: number } };
      assert.equal(meta.progress.step, outcome.kind === 'finished' ? outcome.step : -1);
    });

    it('says what happened when the process dies, and the last checkpoint stays', async () => {
      const before = fs.readFileSync(path.join(dir, 'model', 'latest', 'weights.bin'));
      const run = new TrainerClient(job(dir, { resume: true, maxSteps: 100_000, maxSeconds: 600 }), child('trainer', 'trainerProcess.ts'), {
        onStep: () => run.kill(),
      });
      const outcome = await run.outcome;
      assert.equal(outcome.kind, 'crashed');
      assert.match(outcome.kind === 'crashed' ? outcome.reason : '', /SIGKILL/);
      assert.deepEqual(fs.readFileSync(path.join(dir, 'model', 'latest', 'weights.bin')), before);
    });
  });

  describe('inference process', () => {
    let client: InferenceClient;
    before(() => {
      client = new InferenceClient(child('inference', 'inferenceProcess.ts'));
    });
    after(() => client.dispose());

    it('says "no model" for an empty folder', async () => {
      client.load(path.join(dir, 'nothing-here'), 'cpu');
      const state = await waitForState(client, 'none');
      assert.match(state.kind === 'none' ? state.message : '', /No model/);
    });

    it('completes from the workspace memory alone before any checkpoint exists', async () => {
      const root = path.join(dir, 'memory-only');
      writeMemorySpec(root, { paths: [path.join(dir, 'corpus')], corpus: { exclude: [], secretPatterns: [], maxFileBytes: 1_000_000 } });
      const memoryClient = new InferenceClient(child('inference', 'inferenceProcess.ts'));
      try {
        memoryClient.load(root, 'cpu');
        const state = await waitForState(memoryClient, 'ready');
        assert.equal(state.kind === 'ready' && state.info.neural, false);
        assert.deepEqual(state.kind === 'ready' && state.info.memory, { files: 1, chars: TEXT.length });
        const window = 'the quick brown fox jumps over the ';
        const reply = await memoryClient.complete(
          { doc: 'm', window, contextChars: 128, offset: window.length, maxChars: 30, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0.5 },
          NEVER_CANCELLED,
        );
        assert.ok(reply?.text.startsWith('lazy dog.'), JSON.stringify(reply));
        await assert.rejects(memoryClient.generate('the ', 10, 0, NEVER_CANCELLED), /needs a checkpoint/);
      } finally {
        memoryClient.dispose();
      }
    });

    it('loads the best checkpoint and completes text the model has learnt', async () => {
      client.load(path.join(dir, 'model'), 'cpu');
      const state = await waitForState(client, 'ready');
      assert.equal(state.kind === 'ready' && state.info.dir, path.join(dir, 'model', 'best'));
      const window = TEXT.slice(0, 100);
      const reply = await client.complete(
        { doc: 'a', window, offset: 100, maxChars: 30, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0, contextChars: 128 },
        NEVER_CANCELLED,
      );
      assert.ok(reply);
      assert.equal(reply.reuse, 'prime');
      assert.equal(reply.logProbs.length, Array.from(reply.text).length);
      assert.ok(!reply.text.includes('\n'));
      // The next character typed advances the remembered state by one step.
      const next = await client.complete(
        { doc: 'a', window: TEXT.slice(1, 101), offset: 101, maxChars: 30, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0, contextChars: 128 },
        NEVER_CANCELLED,
      );
      assert.equal(next?.reuse, 'advance');
      const same = await client.complete(
        { doc: 'a', window: TEXT.slice(1, 101), offset: 101, maxChars: 30, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0, contextChars: 128 },
        NEVER_CANCELLED,
      );
      assert.equal(same?.reuse, 'hit');
      assert.equal(same?.text, next?.text, 'greedy decoding from the same state gives the same text');
    });

    it('generates free text and samples at several temperatures', async () => {
      const progress: number[] = [];
      const text = await client.generate('the quick ', 64, 0.5, NEVER_CANCELLED, (chars) => progress.push(chars));
      assert.equal(text?.length, 64);
      assert.ok(progress.length >= 2);
      const samples = await client.samples('the ', [0, 1], 20, NEVER_CANCELLED);
      assert.deepEqual(
        samples?.map((s) => [s.temperature, s.text.length]),
        [
          [0, 20],
          [1, 20],
        ],
      );
    });

    it('cancels a request with its token', async () => {
      const c = new CancelSource();
      const p = client.generate('the ', 100_000, 1, c.token);
      setTimeout(() => c.cancel(), 50);
      assert.equal(await p, undefined);
      // The process is still healthy afterwards.
      assert.ok(await client.generate('the ', 5, 0, NEVER_CANCELLED));
    });

    it('answers only the newest request of a document; older ones are dropped', async () => {
      const req = (n: number) => ({
        doc: 'b',
        window: TEXT.slice(0, n),
        offset: n,
        maxChars: 40,
        stopAtNewline: false,
        temperature: 0,
        seed: 1,
        minConfidence: 0,
        contextChars: 128,
      });
      // Occupy the process so the next requests wait in its queue.
      const busy = client.generate('the ', 3000, 1, NEVER_CANCELLED);
      const replies = await Promise.all([
        client.complete(req(50), NEVER_CANCELLED),
        client.complete(req(51), NEVER_CANCELLED),
        client.complete(req(52), NEVER_CANCELLED),
      ]);
      await busy;
      assert.deepEqual(
        replies.map((r) => r !== undefined),
        [false, false, true],
      );
    });

    it('restarts after the process dies and loads the model again', async () => {
      const pid = client.pid;
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      await waitForState(client, 'loading', 10_000);
      await waitForState(client, 'ready');
      assert.notEqual(client.pid, pid);
      const reply = await client.complete(
        { doc: 'c', window: 'the quick ', offset: 10, maxChars: 10, stopAtNewline: true, temperature: 0, seed: 1, minConfidence: 0, contextChars: 128 },
        NEVER_CANCELLED,
      );
      assert.ok(reply);
    });

    it('reloads a newer checkpoint while serving', async () => {
      const before = client.state.kind === 'ready' ? client.state.info.step : -1;
      const outcome = await new TrainerClient(job(dir, { resume: true, maxSteps: 4 }), child('trainer', 'trainerProcess.ts')).outcome;
      assert.equal(outcome.kind, 'finished');
      const states: ModelState[] = [];
      client.onState((s) => states.push(s));
      client.load(path.join(dir, 'model'), 'cpu');
      assert.equal(client.state.kind, 'ready', 'the loaded model keeps serving during a reload');
      await new Promise<void>((resolve) => {
        const check = () => (states.some((s) => s.kind === 'ready' && s.info.step > before) ? resolve() : setTimeout(check, 20));
        check();
      });
      assert.ok(!states.some((s) => s.kind === 'loading'));
    });
  });
});
