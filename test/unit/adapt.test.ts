/**
 * The LSTM's adaptation to saved files (src/training/adapt.ts): it writes adapted/ and nothing
 * else, lowers the loss on the saved text, chains on an earlier adaptation, is what completions
 * load while it derives from the current best/, and a kill -9 while it saves leaves best/ and the
 * previous adapted/ loadable. The trainer process's 'adapt' job reads files with the memory's rules.
 */
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdaptationClient } from '../../src/extension/ipc/adaptationClient';
import { InferenceClient } from '../../src/extension/ipc/inferenceClient';
import { loadForInference } from '../../src/extension/inference/modelLoader';
import { adaptedCheckpoint, completionCheckpoint, writeMemorySpec } from '../../src/extension/modelStore';
import { AdaptationRequest } from '../../src/extension/protocol';
import { adaptModel } from '../../src/training/adapt';
import { loadCheckpoint } from '../../src/training/checkpoint';
import { LOCK_OWNER_NAME } from '../../src/training/checkpointLock';
import { sequentialBatches } from '../../src/training/dataset';
import { runTrainingSession } from '../../src/training/session';
import { evaluateBatches } from '../../src/training/trainingLoop';
import { repetitiveText, tempDir, writeFiles } from './helpers';

const SAVED = 'function add(a, b) {\n  return a + b;\n}\n'.repeat(60);
const TRAINER = path.resolve(__dirname, '..', '..', 'src', 'extension', 'trainerProcess.ts');
const INFERENCE = path.resolve(__dirname, '..', '..', 'src', 'extension', 'inferenceProcess.ts');

/** SHA-256 of every file under `dir`, by relative path. */
function digests(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) out[name] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

async function lossOn(dir: string, text: string): Promise<number> {
  const loaded = await loadCheckpoint(dir);
  try {
    return evaluateBatches(loaded.model, sequentialBatches(loaded.vocab.encode(text), 50, 16)).lossNats;
  } finally {
    loaded.model.dispose();
  }
}

describe('adaptation to saved files', function () {
  this.timeout(120_000);
  const tmp = tempDir('charm-adapt-');
  const root = path.join(tmp.dir, 'model');
  const workspace = path.join(tmp.dir, 'ws');

  before(async () => {
    writeFiles(workspace, { 'cat.txt': repetitiveText(6000) + SAVED.slice(0, 200) });
    await runTrainingSession({ paths: [workspace], out: root, preset: 'tiny', backend: 'wasm', options: { maxSteps: 30, evalEvery: 30, seed: 1 } });
  });
  after(() => tmp.cleanup());

  it('writes adapted/ (lower loss on the text, base recorded) and leaves best/ and latest/ byte-identical', async () => {
    const before = { best: digests(path.join(root, 'best')), latest: digests(path.join(root, 'latest')) };
    const bestMeta = (await loadCheckpoint(root)).meta;
    const result = await adaptModel({ from: root, texts: [{ path: 'add.js', text: SAVED }], out: root, steps: 20, learningRate: 3e-3, backend: 'wasm' });
    assert.ok(result.written, JSON.stringify(result));
    assert.equal(result.dir, path.join(root, 'adapted'));
    assert.deepEqual(digests(path.join(root, 'best')), before.best);
    assert.deepEqual(digests(path.join(root, 'latest')), before.latest);
    assert.deepEqual(result.adaptation.base, { step: bestMeta.progress.step, savedAt: bestMeta.savedAt });
    assert.deepEqual(result.adaptation.files, ['add.js']);
    assert.equal(result.adaptation.steps, 20);
    // Measured here, independently of what adaptModel reports.
    const [baseLoss, adaptedLoss] = [await lossOn(path.join(root, 'best'), SAVED), await lossOn(path.join(root, 'adapted'), SAVED)];
    assert.ok(adaptedLoss < baseLoss - 0.05, `loss on the saved text ${baseLoss} -> ${adaptedLoss}`);
    assert.ok(!fs.readdirSync(root).some((n) => n.includes('.tmp-')), 'no temporary folder left');
  });

  it('a second adaptation starts from adapted/, keeps its base and adds its files', async () => {
    const first = adaptedCheckpoint(root);
    assert.ok(first?.meta.adaptation);
    const result = await adaptModel({
      from: completionCheckpoint(root) as string,
      texts: [{ path: 'sub.js', text: SAVED.replace(/\+/g, '-') }],
      out: root,
      backend: 'wasm',
      steps: 5,
    });
    assert.ok(result.written, JSON.stringify(result));
    assert.deepEqual(result.adaptation.base, first.meta.adaptation.base);
    assert.deepEqual(result.adaptation.files, ['add.js', 'sub.js']);
    assert.equal(result.adaptation.steps, 25);
  });

  it('completions load adapted/ only while it derives from the current best/', async () => {
    assert.equal(completionCheckpoint(root), path.join(root, 'adapted'));
    const loaded = await loadForInference(root, 'cpu');
    assert.equal(loaded.dir, path.join(root, 'adapted'));
    assert.equal(loaded.meta.adaptation?.files.length, 2);
    // A chosen checkpoint folder is loaded as it is.
    assert.equal(completionCheckpoint(path.join(root, 'best')), path.join(root, 'best'));
    // A new best/ (another savedAt): the adaptation is stale and ignored.
    const copy = path.join(tmp.dir, 'stale');
    fs.cpSync(root, copy, { recursive: true });
    const config = path.join(copy, 'best', 'config.json');
    const meta = JSON.parse(fs.readFileSync(config, 'utf8')) as { savedAt: string };
    fs.writeFileSync(config, JSON.stringify({ ...meta, savedAt: new Date(Date.now() + 1000).toISOString() }));
    assert.equal(adaptedCheckpoint(copy), undefined);
    assert.equal(completionCheckpoint(copy), path.join(copy, 'best'));
    assert.equal((await loadForInference(copy, 'cpu')).dir, path.join(copy, 'best'));
  });

  it('a training that writes a new best/ removes adapted/', async () => {
    const copy = path.join(tmp.dir, 'retrain');
    fs.cpSync(root, copy, { recursive: true });
    await runTrainingSession({ paths: [workspace], out: copy, resume: true, backend: 'wasm', options: { maxSteps: 5, evalEvery: 5 } });
    assert.equal(fs.existsSync(path.join(copy, 'adapted')), false);
  });

  it('refuses texts with nothing to learn, with a clear error', async () => {
    await assert.rejects(adaptModel({ from: root, texts: [{ path: 'e', text: '' }], out: root }), /Nothing to adapt to/);
  });

  it('a kill -9 while the trainer process saves adapted/ leaves best/ and the previous adapted/ loadable', async () => {
    const previous = digests(path.join(root, 'adapted'));
    const best = digests(path.join(root, 'best'));
    writeMemorySpec(root, { paths: [workspace], corpus: { exclude: [], secretPatterns: [], maxFileBytes: 1_000_000 } });
    writeFiles(workspace, { 'mul.js': SAVED.replace(/\+/g, '*') });
    const child = fork(TRAINER, [], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
      env: { ...process.env, CHARM_TEST_SAVE_STAGES: '1', CHARM_TEST_SAVE_DELAY_MS: '3000' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const killedAt = new Promise<string>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (d: Buffer) => {
        seen += d.toString('utf8');
        // The old adapted/ is renamed to adapted.prev and the new one not yet in place.
        if (/charm-test-save-stage adapted moved-old/.test(seen)) {
          child.kill('SIGKILL');
          resolve('moved-old');
        }
      });
      child.on('exit', () => reject(new Error(`the trainer ended before the stage: ${seen}`)));
    });
    child.send({ type: 'adapt', job: adaptJob(root, [path.join(workspace, 'mul.js')]) });
    assert.equal(await killedAt, 'moved-old');
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(digests(path.join(root, 'best')), best);
    assert.equal(completionCheckpoint(root), path.join(root, 'adapted.prev'));
    assert.deepEqual(digests(path.join(root, 'adapted.prev')), previous);
    assert.equal((await loadForInference(root, 'cpu')).dir, path.join(root, 'adapted.prev'));
    // The next adaptation takes the dead writer's lock over and cleans up after it.
    const next = await adaptModel({
      from: completionCheckpoint(root) as string,
      texts: [{ path: 'mul.js', text: SAVED }],
      out: root,
      steps: 2,
      backend: 'wasm',
    });
    assert.ok(next.written);
    assert.deepEqual(
      fs.readdirSync(root).filter((n) => n.startsWith('adapted') || n.includes('.tmp-')),
      ['adapted'],
    );
  });

  it("the trainer process's adapt job reads saved files with the memory's rules and reports", async () => {
    writeMemorySpec(root, { paths: [workspace], corpus: { exclude: [], secretPatterns: ['.env'], maxFileBytes: 1_000_000 } });
    writeFiles(workspace, { '.env': 'TOKEN=abc\n'.repeat(100), 'div.js': SAVED.replace(/\+/g, '/') });
    const files = [path.join(workspace, '.env'), path.join(workspace, 'gone.js'), path.join(workspace, 'div.js')];
    const client = new AdaptationClient(adaptJob(root, files), {
      name: 'adapter',
      modulePath: TRAINER,
      execArgv: ['--require', require.resolve('tsx/cjs')],
    });
    const outcome = await client.outcome;
    assert.equal(outcome.type, 'adapted', JSON.stringify(outcome));
    assert.ok(outcome.type === 'adapted' && outcome.written && outcome.files === 1, JSON.stringify(outcome));
    assert.ok(adaptedCheckpoint(root)?.meta.adaptation?.files.includes(path.join(workspace, 'div.js')));
    assert.ok(!adaptedCheckpoint(root)?.meta.adaptation?.files.some((f) => f.endsWith('.env')));
  });

  it('the inference process completes with adapted/ and says how many saved files it learned', async () => {
    const client = new InferenceClient({ name: 'inference', modulePath: INFERENCE, execArgv: ['--require', require.resolve('tsx/cjs')] });
    try {
      client.load(root, 'cpu');
      const deadline = Date.now() + 60_000;
      while (client.state.kind !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const state = client.state;
      assert.ok(state.kind === 'ready', JSON.stringify(state));
      assert.equal(state.info.dir, path.join(root, 'adapted'));
      assert.equal(state.info.adaptedFiles, adaptedCheckpoint(root)?.meta.adaptation?.files.length);
      assert.ok((state.info.adaptedFiles ?? 0) >= 2);
    } finally {
      client.dispose();
    }
  });

  it('stopping the adapt job writes nothing', async () => {
    const before = digests(path.join(root, 'adapted'));
    const client = new AdaptationClient(adaptJob(root, [path.join(workspace, 'div.js')], 100_000), {
      name: 'adapter',
      modulePath: TRAINER,
      execArgv: ['--require', require.resolve('tsx/cjs')],
    });
    await client.stop();
    const outcome = await client.outcome;
    assert.ok(outcome.type === 'ended' || (outcome.type === 'adapted' && !outcome.written), JSON.stringify(outcome));
    assert.deepEqual(digests(path.join(root, 'adapted')), before);
  });
});

describe('adaptation when the window closes', function () {
  this.timeout(120_000);
  const tmp = tempDir('charm-adapt-close-');
  after(() => tmp.cleanup());

  it('the trainer process ends without writing when its host disconnects', async () => {
    const root = path.join(tmp.dir, 'model');
    const workspace = path.join(tmp.dir, 'ws');
    writeFiles(workspace, { 'cat.txt': repetitiveText(3000), 'add.js': SAVED });
    await runTrainingSession({ paths: [workspace], out: root, preset: 'tiny', backend: 'wasm', options: { maxSteps: 5, evalEvery: 5 } });
    writeMemorySpec(root, { paths: [workspace], corpus: { exclude: [], secretPatterns: [], maxFileBytes: 1_000_000 } });
    const child = fork(TRAINER, [], { execArgv: ['--require', require.resolve('tsx/cjs')], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.send({ type: 'adapt', job: adaptJob(root, [path.join(workspace, 'add.js')], 1_000_000) });
    // Adapting: it holds the folder's lock (its owner file names it).
    const owner = path.join(root, LOCK_OWNER_NAME);
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(owner) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(fs.readFileSync(owner, 'utf8'), /adapting to saved files/);
    child.disconnect();
    assert.equal(await exited, 0);
    assert.equal(fs.existsSync(path.join(root, 'adapted')), false);
  });
});

function adaptJob(root: string, files: string[], steps = 20): AdaptationRequest {
  return { root, files, steps, learningRate: 1e-3, maxSeconds: 60, maxChars: 200_000, backend: 'wasm' };
}
