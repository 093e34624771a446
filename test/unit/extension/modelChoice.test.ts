/**
 * "Use Model…" without VS Code: what a picked path is, the checks before a choice is made, an
 * imported model's source read defensively from config.json, copying a chosen model into the
 * workspace's storage to fine-tune it (the original untouched), the status bar and model view
 * naming it, and the two processes it relies on for real: the inference process loading a chosen
 * checkpoint folder with this workspace's memory (and keeping the old model when the choice does
 * not load), and the import process answering with the importer's one-line error.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../../src/accel';
import { CharmError } from '../../../src/errors';
import { ChildOptions } from '../../../src/extension/ipc/childProcess';
import { runImport } from '../../../src/extension/ipc/importClient';
import { InferenceClient, ModelState } from '../../../src/extension/ipc/inferenceClient';
import {
  adoptCheckpoint,
  checkpointChoice,
  classifyModelPath,
  describeSource,
  importSourceOf,
  importTarget,
  isModelChoice,
} from '../../../src/extension/modelChoice';
import { buildModelReport } from '../../../src/extension/modelReport';
import { isHostToImporter, isHostToInference, isImporterToHost } from '../../../src/extension/protocol';
import { readModelSummary, writeMemorySpec } from '../../../src/extension/modelStore';
import { modelRows } from '../../../src/extension/modelView/reportText';
import { statusView } from '../../../src/extension/status';
import { tempDir, writeFiles } from '../helpers';
import { saveTinyCheckpoint } from '../tinyCheckpoint';
import { charModel, randomizeWeights, saveTfjs, TEXT, VOCAB } from '../interop/fixtures';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src', 'extension');
const child = (name: string, file: string): ChildOptions => ({
  name,
  modulePath: path.join(SRC, file),
  execArgv: ['--require', require.resolve('tsx/cjs')],
  env: { ...process.env, CHARM_WASM_THREADS: '1' },
});

function charmError(p: () => unknown, pattern: RegExp): void {
  assert.throws(p, (e: unknown) => {
    assert.ok(e instanceof CharmError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

/** Every file under `dir` with its sha256, to show a folder was not written. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

async function waitFor(client: InferenceClient, test: (s: ModelState) => boolean, ms = 60_000): Promise<ModelState> {
  const deadline = Date.now() + ms;
  while (!test(client.state)) {
    if (Date.now() > deadline) throw new Error(`inference state stayed ${JSON.stringify(client.state)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return client.state;
}

const SOURCE = {
  format: 'keras-h5',
  file: '/home/u/models/m.h5',
  importedAt: '2026-01-01T00:00:00Z',
  kerasVersion: '2.15.0',
  windowLength: 40,
  outputActivation: 'softmax',
  vocabulary: 'from-text',
};

describe('Use Model: choosing a model', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup = () => undefined as void;
  let team = '';

  before(async () => {
    ({ dir, cleanup } = tempDir('charm-choice-'));
    await initBackend('cpu');
    team = path.join(dir, 'team-model');
    await saveTinyCheckpoint(team, 'best', 7);
    await saveTinyCheckpoint(team, 'latest', 9);
    writeFiles(dir, {
      'files/m.h5': 'h5',
      'files/m.keras': 'zip',
      'files/tfjs/model.json': '{}',
      'files/notes.txt': 'text',
      'empty/.keep': '',
    });
  });
  after(() => cleanup());

  it('tells a checkpoint root, a checkpoint folder, a file of one and model files apart', function () {
    assert.deepEqual(classifyModelPath(team), { kind: 'checkpoint', root: team });
    assert.deepEqual(classifyModelPath(path.join(team, 'best')), { kind: 'checkpoint', root: path.join(team, 'best') });
    assert.deepEqual(classifyModelPath(path.join(team, 'latest', 'weights.json')), { kind: 'checkpoint', root: path.join(team, 'latest') });
    assert.deepEqual(classifyModelPath(path.join(dir, 'files/m.h5')), { kind: 'file', file: path.join(dir, 'files/m.h5'), format: 'keras-h5' });
    assert.equal((classifyModelPath(path.join(dir, 'files/m.keras')) as { format: string }).format, 'keras');
    assert.deepEqual(classifyModelPath(path.join(dir, 'files/tfjs')), { kind: 'file', file: path.join(dir, 'files/tfjs/model.json'), format: 'tfjs-layers' });
  });

  it('refuses anything else with one clear line', function () {
    charmError(() => classifyModelPath(path.join(dir, 'empty')), /empty is not a Charm checkpoint: choose a Charm checkpoint folder/);
    charmError(() => classifyModelPath(path.join(dir, 'files/notes.txt')), /^notes\.txt is not a model Charm can use/);
    charmError(() => classifyModelPath(path.join(dir, 'nowhere')), /nowhere does not exist/);
  });

  it('checks a checkpoint before choosing it, and names it', function () {
    assert.deepEqual(checkpointChoice(team), { root: team, label: 'team-model', imported: undefined });
    assert.equal(checkpointChoice(path.join(team, 'best')).label, 'team-model/best');
    const broken = path.join(dir, 'broken');
    fs.cpSync(path.join(team, 'best'), path.join(broken, 'best'), { recursive: true });
    fs.rmSync(path.join(broken, 'best', 'weights.bin'));
    charmError(() => checkpointChoice(broken), /incomplete: weights\.bin is missing/);
    fs.writeFileSync(path.join(broken, 'best', 'config.json'), '{"not":"a checkpoint"');
    charmError(() => checkpointChoice(broken), /holds no readable Charm checkpoint/);
  });

  it('accepts only a well-formed stored choice', function () {
    assert.ok(isModelChoice({ root: '/a', label: 'a' }));
    assert.ok(isModelChoice({ root: '/a', label: 'm.h5', imported: { file: '/m.h5', format: 'keras' } }));
    assert.ok(!isModelChoice({ root: '/a' }));
    assert.ok(!isModelChoice({ root: '/a', label: 'a', imported: { file: '/m.h5', format: 'onnx' } }));
    assert.ok(!isModelChoice('/a'));
  });

  it("reads an imported model's source defensively", async function () {
    const imported = path.join(dir, 'imported');
    await saveTinyCheckpoint(imported, 'best');
    const config = path.join(imported, 'best', 'config.json');
    const plain = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
    assert.equal(importSourceOf(path.join(imported, 'best')), undefined, 'no source: a model trained by Charm');
    fs.writeFileSync(config, JSON.stringify({ ...plain, source: SOURCE }));
    assert.deepEqual(importSourceOf(path.join(imported, 'best')), SOURCE);
    assert.equal(
      describeSource(SOURCE as Parameters<typeof describeSource>[0]),
      'imported from m.h5 (Keras HDF5, Keras 2.15.0, trained on windows of 40 characters, softmax output; vocabulary from the training text)',
    );
    fs.writeFileSync(config, JSON.stringify({ ...plain, source: { ...SOURCE, format: 'onnx' } }));
    assert.equal(importSourceOf(path.join(imported, 'best')), undefined);
    fs.writeFileSync(config, JSON.stringify({ ...plain, source: { ...SOURCE, windowLength: 'forty', kerasVersion: 3 } }));
    const { windowLength: _w, kerasVersion: _k, ...required } = SOURCE;
    assert.deepEqual(importSourceOf(path.join(imported, 'best')), required, 'bad optional fields dropped');
  });

  it('puts each import in a new folder of the imports root', function () {
    const a = importTarget('/s/imports', '/x/My Model (1).h5', new Date(0));
    const b = importTarget('/s/imports', '/x/My Model (1).h5', new Date(1000));
    assert.equal(a, '/s/imports/My_Model_1_.h5-1970-01-01T00-00-00-000Z');
    assert.notEqual(a, b);
    assert.match(importTarget('/s/imports', '/x/shakespeare/model.json'), /^\/s\/imports\/shakespeare-/);
  });

  it("copies a chosen model into the workspace's root to fine-tune it; the original is not written", async function () {
    const own = path.join(dir, 'ws', 'model');
    await saveTinyCheckpoint(own, 'best', 100);
    await saveTinyCheckpoint(own, 'latest', 101);
    fs.cpSync(path.join(own, 'latest'), path.join(own, 'latest.prev'), { recursive: true });
    writeMemorySpec(own, { paths: ['/ws'], corpus: { exclude: [], secretPatterns: [], maxFileBytes: 1000 } });
    const before = digest(team);
    await adoptCheckpoint(team, own);
    assert.deepEqual(digest(team), before);
    assert.equal(readModelSummary(own, 'best')?.meta.progress.step, 7);
    assert.equal(readModelSummary(own, 'latest')?.meta.progress.step, 9);
    assert.deepEqual(fs.readdirSync(own).sort(), ['best', 'latest', 'memory.json']);
    // A checkpoint folder chosen by itself becomes best/ (resuming falls back to it).
    await adoptCheckpoint(path.join(team, 'latest'), own);
    assert.deepEqual(fs.readdirSync(own).sort(), ['best', 'memory.json']);
    assert.equal(readModelSummary(own)?.meta.progress.step, 9);
  });

  it('names the chosen model and its source in the status bar and the model view', function () {
    const ready: ModelState = {
      kind: 'ready',
      info: { neural: true, memory: null, dir: '/t/best', step: 7, bestValLoss: null, parameters: 10, backend: 'wasm', backendDetail: 'SIMD', savedAt: '' },
    };
    const chosen = { label: 'm.h5', about: 'imported from m.h5 (Keras HDF5; vocabulary from a file), in /s/imports/m' };
    const v = statusView({ model: ready, inlineEnabled: true, chosen });
    assert.match(v.text, /Charm: ready · m\.h5$/);
    assert.match(v.tooltip, /Model in use: m\.h5 \(imported from m\.h5 \(Keras HDF5/);
    assert.doesNotMatch(statusView({ model: ready, inlineEnabled: true }).text, /·/);
    const report = buildModelReport(team, readModelSummary(team), ready, undefined, { label: 'm.h5', chosen: true, about: chosen.about });
    const rows = Object.fromEntries(modelRows(report));
    assert.equal(rows['Model in use'], `m.h5, chosen with "Use Model…"; ${chosen.about}`);
    assert.equal(rows.Folder, path.join(team, 'best'));
  });
});

describe('Use Model and Install Native Backend: the processes', function () {
  this.timeout(120_000);
  let dir = '';
  let cleanup = () => undefined as void;
  before(async () => {
    ({ dir, cleanup } = tempDir('charm-choice-proc-'));
    await initBackend('cpu');
    await saveTinyCheckpoint(path.join(dir, 'shared'), 'best', 42);
  });
  after(() => cleanup());

  it("completes from a chosen checkpoint folder with this workspace's memory, and keeps it when the next choice does not load", async function () {
    const shared = path.join(dir, 'shared');
    const own = path.join(dir, 'own');
    writeFiles(dir, { 'ws/a.txt': 'the cat sat on the mat. '.repeat(50) });
    writeMemorySpec(own, { paths: [path.join(dir, 'ws')], corpus: { exclude: [], secretPatterns: [], maxFileBytes: 100_000 } });
    const client = new InferenceClient(child('inference', 'inferenceProcess.ts'));
    try {
      client.load(path.join(shared, 'best'), 'cpu', own);
      const state = await waitFor(client, (s) => s.kind !== 'loading' && s.kind !== 'stopped');
      assert.equal(state.kind, 'ready', JSON.stringify(state));
      if (state.kind !== 'ready') return;
      assert.equal(state.info.dir, path.join(shared, 'best'));
      assert.equal(state.info.step, 42);
      assert.equal(state.info.memory?.files, 1, 'the workspace memory of the workspace, not of the chosen folder');
      // A choice that does not load: the process keeps answering with the model it has.
      const bad = path.join(dir, 'bad');
      fs.cpSync(path.join(shared, 'best'), path.join(bad, 'best'), { recursive: true });
      fs.writeFileSync(path.join(bad, 'best', 'weights.bin'), 'truncated');
      client.load(bad, 'cpu', own);
      const after = await waitFor(client, (s) => s.kind !== 'loading');
      assert.equal(after.kind, 'ready');
      if (after.kind === 'ready') assert.equal(after.info.dir, path.join(shared, 'best'), 'the previous model stays in use');
    } finally {
      client.dispose();
    }
  });

  it('restart() starts a fresh completion process on the same model (after a native backend install)', async function () {
    const shared = path.join(dir, 'shared');
    const client = new InferenceClient(child('inference', 'inferenceProcess.ts'));
    try {
      client.load(shared, 'cpu');
      await waitFor(client, (s) => s.kind === 'ready');
      const pid = client.pid;
      client.restart();
      assert.equal(client.state.kind, 'loading');
      const state = await waitFor(client, (s) => s.kind !== 'loading');
      assert.equal(state.kind, 'ready', JSON.stringify(state));
      assert.ok(client.pid !== undefined && client.pid !== pid, `a new process (${pid} -> ${client.pid})`);
      if (state.kind === 'ready') assert.equal(state.info.dir, path.join(shared, 'best'));
    } finally {
      client.dispose();
    }
  });

  it("runs the import in its own process: a tfjs-layers model becomes a checkpoint; a bad file is the importer's one-line error", async function () {
    const model = charModel();
    randomizeWeights(model, 3);
    const file = path.join(dir, 'tfjs-model');
    await saveTfjs(model, file);
    writeFiles(dir, { 'train.txt': TEXT });
    const out = path.join(dir, 'imported');
    const summary = await runImport(child('import', 'importProcess.ts'), { file, out, vocabulary: { kind: 'from-text', path: path.join(dir, 'train.txt') } });
    assert.deepEqual({ ...summary, parameters: summary.parameters > 0 }, { format: 'tfjs-layers', out, vocabularySize: VOCAB, parameters: true });
    assert.ok(readModelSummary(out), 'a checkpoint Charm reads');
    writeFiles(dir, { 'bad.h5': 'not an HDF5 file at all' });
    await assert.rejects(
      runImport(child('import', 'importProcess.ts'), {
        file: path.join(dir, 'bad.h5'),
        out: path.join(dir, 'out'),
        vocabulary: { kind: 'from-text', path: path.join(dir, 'train.txt') },
      }),
      (e: unknown) => {
        assert.ok(e instanceof CharmError, String(e));
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
    assert.ok(!fs.existsSync(path.join(dir, 'out')));
  });

  it('checks the import messages and the load message with a memory root', function () {
    const summary = { format: 'keras', out: '/o', vocabularySize: 3, parameters: 10 };
    assert.ok(isImporterToHost({ type: 'imported', summary }));
    assert.ok(isImporterToHost({ type: 'failed', message: 'bad', userError: true }));
    assert.ok(!isImporterToHost({ type: 'failed', message: 'bad' }));
    assert.ok(!isImporterToHost({ type: 'imported' }));
    assert.ok(isHostToImporter({ type: 'import', request: { file: 'a', out: 'b', vocabulary: { kind: 'file', path: 'v.json' } } }));
    assert.ok(!isHostToImporter({ type: 'import', request: 'a' }));
    assert.ok(isHostToInference({ type: 'load', root: '/r', backend: 'wasm', memoryRoot: '/m' }));
    assert.ok(isHostToInference({ type: 'load', root: '/r', backend: 'wasm' }));
    assert.ok(!isHostToInference({ type: 'load', root: '/r', backend: 'wasm', memoryRoot: 3 }));
  });

  it('a cancelled import kills its process', async function () {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(
      runImport(child('import', 'importProcess.ts'), { file: 'x', out: 'y', vocabulary: { kind: 'file', path: 'v.json' } }, abort.signal),
      /cancelled/,
    );
  });
});
