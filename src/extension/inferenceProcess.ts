/**
 * Entry of the long-lived inference process (forked by the extension host, built to
 * dist/inferenceProcess.js). It holds the model and the per-document states and answers
 * completion, generation and sample requests over Node IPC (protocol.ts), newest first per
 * document. The host asks it to load again when training writes a new best checkpoint.
 */
import * as fsp from 'node:fs/promises';
import { CharmError } from '../errors';
import type { BackendChoice } from '../accel';
import { hasModel, readMemorySpec } from './modelStore';
import { buildWorkspaceMemory, learnSavedFile, memoryModels, WorkspaceMemory } from './inference/workspaceMemory';
import { InferenceEngine } from './inference/inferenceEngine';
import { loadForInference } from './inference/modelLoader';
import { RequestQueue } from './inference/requestQueue';
import { CompleteRequest, GenerateRequest, HostToInference, InferenceToHost, isHostToInference, LoadedInfo, SamplesRequest } from './protocol';

type Work = (CompleteRequest | GenerateRequest | SamplesRequest) & { doc?: string };

function send(message: InferenceToHost): void {
  process.send?.(message);
}

let engine: InferenceEngine | undefined;
/** What the host was told about `engine`. */
let engineInfo: LoadedInfo | undefined;
/** Engines replaced while a request was using them; disposed when it finishes. */
const retired: InferenceEngine[] = [];
let loading: Promise<void> = Promise.resolve();
const queue = new RequestQueue<Work>();
let pumping = false;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A checkpoint being swapped into place by the trainer can be caught half-way: try again once. */
async function loadWithRetry(root: string, backend: BackendChoice) {
  try {
    return await loadForInference(root, backend);
  } catch (e) {
    if (e instanceof CharmError && /^No model at /.test(e.message)) throw e;
    await new Promise((r) => setTimeout(r, 300));
    return loadForInference(root, backend);
  }
}

/** The workspace memory and the spec it was built from (rebuilt only when the spec changes). */
let memory: { spec: string; built: WorkspaceMemory } | undefined;

async function loadMemory(root: string): Promise<WorkspaceMemory | undefined> {
  const spec = readMemorySpec(root);
  if (!spec) return undefined;
  const key = JSON.stringify(spec);
  if (memory?.spec !== key) {
    const built = await buildWorkspaceMemory(spec.paths, spec.corpus);
    memory = { spec: key, built };
    process.stderr.write(`workspace memory: ${built.files} files, ${built.chars} characters, ${built.ngram.total} counted in ${Math.round(built.ms)} ms\n`);
  }
  return memory.built;
}

function load(root: string, backend: BackendChoice, memoryRoot = root): void {
  loading = loading.then(async () => {
    try {
      const built = await loadMemory(memoryRoot).catch((e: unknown) => {
        process.stderr.write(`could not build the workspace memory: ${errorMessage(e)}\n`);
        return undefined;
      });
      const memoryInfo = built ? { files: built.files, chars: built.chars } : null;
      const loaded = hasModel(root) || !built ? await loadWithRetry(root, backend) : undefined;
      if (engine) retired.push(engine);
      engine = new InferenceEngine({ lstm: loaded, ...memoryModels(built) });
      if (loaded) {
        const p = loaded.meta.progress;
        engineInfo = {
          neural: true,
          memory: memoryInfo,
          dir: loaded.dir,
          step: p.step,
          bestValLoss: p.bestValLoss,
          parameters: loaded.parameters,
          backend: loaded.backend.name,
          backendDetail: loaded.backend.detail,
          savedAt: loaded.meta.savedAt,
          adaptedFiles: loaded.meta.adaptation?.files.length ?? 0,
        };
      } else {
        engineInfo = {
          neural: false,
          memory: memoryInfo,
          dir: root,
          step: 0,
          bestValLoss: null,
          parameters: 0,
          backend: 'n-gram',
          backendDetail: 'workspace memory',
          savedAt: '',
          adaptedFiles: 0,
        };
      }
      send({ type: 'loaded', info: engineInfo });
    } catch (e) {
      if (engine && engineInfo) {
        // A newer checkpoint failed to load: keep serving the one that works (the host logs this).
        process.stderr.write(`could not reload ${root}: ${errorMessage(e)}; keeping the loaded model\n`);
        send({ type: 'loaded', info: engineInfo });
      } else if (e instanceof CharmError && /^No model at /.test(e.message)) {
        // No checkpoint at all is a normal state ("no model"), not a failure.
        send({ type: 'noModel', message: e.message });
      } else {
        send({ type: 'loadFailed', message: errorMessage(e) });
      }
    }
    disposeRetired();
  });
  void pump();
}

async function learnFile(file: string): Promise<void> {
  const built = memory?.built;
  if (!built) return;
  try {
    const outcome = await learnSavedFile(built, file, await fsp.readFile(file));
    const { files, chars } = built.saved.size;
    process.stderr.write(`saved file ${outcome === 'learned' ? 'learned' : `not learned (${outcome})`}: ${file}; ${files} saved files, ${chars} characters\n`);
  } catch (e) {
    process.stderr.write(`could not learn the saved file ${file}: ${errorMessage(e)}\n`);
  }
}

/** The engine the running request uses; it must outlive the request. */
let busy: InferenceEngine | undefined;

function disposeRetired(): void {
  for (let k = retired.length - 1; k >= 0; k--) {
    if (retired[k] !== busy) retired.splice(k, 1)[0].dispose();
  }
}

async function run(req: Work, current: InferenceEngine): Promise<void> {
  const cancelled = () => queue.isCancelled(req.id);
  const started = performance.now();
  if (req.type === 'complete') {
    const r = await current.complete(req, cancelled);
    if (!r) return send({ type: 'dropped', id: req.id, reason: 'cancelled' });
    send({
      type: 'completion',
      id: req.id,
      text: r.text,
      logProbs: r.logProbs,
      next: r.next,
      reuse: r.reuse,
      ms: performance.now() - started,
      stoppedBy: r.stoppedBy,
    });
  } else if (req.type === 'generate') {
    let lastReport = 0;
    const r = await current.generate(req, cancelled, (chars) => {
      if (chars - lastReport >= 16) {
        lastReport = chars;
        send({ type: 'progress', id: req.id, chars, total: req.length });
      }
    });
    if (!r) return send({ type: 'dropped', id: req.id, reason: 'cancelled' });
    const mean = r.logProbs.length ? r.logProbs.reduce((a, b) => a + b, 0) / r.logProbs.length : 0;
    send({ type: 'generated', id: req.id, text: r.text, meanLogProb: mean });
  } else {
    const samples = await current.samples(req, cancelled);
    if (!samples) return send({ type: 'dropped', id: req.id, reason: 'cancelled' });
    send({ type: 'samples', id: req.id, samples });
  }
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      // The first load gates requests; later reloads swap the engine while the old one keeps serving.
      if (!engine) await loading;
      const req = queue.take();
      if (!req) break;
      const current = engine;
      busy = current;
      try {
        if (!current) send({ type: 'dropped', id: req.id, reason: 'no-model' });
        else await run(req, current);
      } catch (e) {
        send({ type: 'failed', id: req.id, message: errorMessage(e) });
      } finally {
        queue.finish(req);
        busy = undefined;
        disposeRetired();
      }
    }
  } finally {
    pumping = false;
  }
}

function handle(message: HostToInference): void {
  switch (message.type) {
    case 'load':
      load(message.root, message.backend, message.memoryRoot);
      return;
    case 'unload':
      loading = loading.then(() => {
        if (engine) retired.push(engine);
        engine = undefined;
        engineInfo = undefined;
        disposeRetired();
      });
      return;
    case 'cancel': {
      const removed = queue.cancel(message.id);
      if (removed) send({ type: 'dropped', id: removed.id, reason: 'cancelled' });
      return;
    }
    case 'forget':
      engine?.forget(message.doc);
      return;
    case 'learnFile':
      // After any load in progress: the memory it builds is the one to teach.
      loading = loading.then(() => learnFile(message.path));
      return;
    default: {
      for (const stale of queue.push(message)) send({ type: 'dropped', id: stale.id, reason: 'stale' });
      void pump();
    }
  }
}

process.on('message', (message: unknown) => {
  if (isHostToInference(message)) handle(message);
});
// The host went away (window closed, extension host crashed): nothing left to serve.
process.on('disconnect', () => process.exit(0));
