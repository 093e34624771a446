/**
 * Continuous learning of the LSTM: a few Adam steps on the files the user saved, from the model
 * completions use, written as ONE checkpoint folder `<root>/adapted/` beside best/ and latest/
 * (which it never touches). The base is recorded (best/'s step and savedAt), so completions use
 * adapted/ only while it derives from the best/ on disk (modelStore.ts adaptedCheckpoint); the
 * next training removes it. Starting from an adapted/ checkpoint keeps its base and adds its files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendChoice, initBackend } from '../accel';
import { CharmError } from '../errors';
import { CharModel } from '../model/charModel';
import { ADAPT_DEFAULTS } from './adaptLimits';
import { Adaptation, CheckpointMeta, loadCheckpoint, removeStaleTempFolders, saveCheckpoint } from './checkpoint';
import { CheckpointIo } from './checkpointIo';
import { lockCheckpointFolder } from './checkpointLock';
import { CharDataset, sequentialBatches } from './dataset';
import { ensureWritableFolder } from './outputFolder';
import { evaluateBatches, evaluationBatchSize, StopReason, TrainingLoop } from './trainingLoop';
import { DEFAULT_HYPERPARAMETERS, Hyperparameters } from './hyperparameters';

const ADAPTED_FOLDER = 'adapted';

/** Files learned from an earlier adaptation are listed up to this many (the newest). */
const MAX_LISTED_FILES = 1000;
/** The loss before and after is measured on at most this much of the text. */
const EVAL_CHARS = 32_768;

export interface AdaptRequest {
  /** The checkpoint to start from: a root (its best/) or a checkpoint folder (e.g. a previous adapted/). */
  from: string;
  /** The saved files' text, oldest first, already read with the workspace memory's rules (secrets redacted). */
  texts: { path: string; text: string }[];
  /** The checkpoint root adapted/ is written into, under its lock. */
  out: string;
  steps?: number;
  learningRate?: number;
  /** Wall-clock bound of the whole call, loading and saving included. */
  maxSeconds?: number;
  /** Beyond this many characters, the oldest texts are left out. */
  maxChars?: number;
  seed?: number;
  backend?: BackendChoice;
  signal?: AbortSignal;
  io?: CheckpointIo;
  writer?: string;
}

export type AdaptResult =
  | { written: true; dir: string; adaptation: Adaptation }
  /** Nothing written: stopped, diverged, or the steps did not lower the loss on the text. */
  | { written: false; reason: StopReason | 'no-gain'; lossBefore: number; lossAfter: number };

/** The newest texts within `maxChars` (the oldest one cut from its start), joined as the corpus joins files. */
function joinNewest(texts: AdaptRequest['texts'], maxChars: number): { text: string; files: string[] } {
  const kept: string[] = [];
  const files: string[] = [];
  let chars = 0;
  for (let k = texts.length - 1; k >= 0 && chars < maxChars; k--) {
    const t = texts[k].text.slice(-(maxChars - chars));
    kept.unshift(t);
    files.unshift(texts[k].path);
    chars += t.length;
  }
  return { text: kept.join('\n\n'), files };
}

function meanLoss(model: CharModel, ids: Int32Array, options: Hyperparameters): number {
  const batch = evaluationBatchSize(options.batchSize, options.seqLength, model.config.units);
  return evaluateBatches(model, sequentialBatches(ids, options.seqLength, batch, EVAL_CHARS)).lossNats;
}

export async function adaptModel(request: AdaptRequest): Promise<AdaptResult> {
  const startedAt = performance.now() / 1000;
  const steps = request.steps ?? ADAPT_DEFAULTS.steps;
  const { text, files } = joinNewest(request.texts, request.maxChars ?? ADAPT_DEFAULTS.maxChars);
  if (text.length < 2) throw new CharmError('Nothing to adapt to: the saved files hold no text');
  const out = path.resolve(request.out);
  ensureWritableFolder(out);
  const lock = await lockCheckpointFolder(out, request.writer ?? 'charm adaptation to saved files');
  try {
    await removeStaleTempFolders(out);
    await initBackend(request.backend ?? 'auto');
    const loaded = await loadCheckpoint(request.from, { prefer: 'best' });
    const { model, vocab, meta } = loaded;
    try {
      const ids = vocab.encode(text);
      const saved = meta.training as Partial<Hyperparameters>;
      const seqLength = Math.max(1, Math.min(saved.seqLength ?? 100, ids.length - 1));
      const options: Hyperparameters = {
        ...DEFAULT_HYPERPARAMETERS,
        seqLength,
        batchSize: saved.batchSize ?? 32,
        clipNorm: saved.clipNorm ?? DEFAULT_HYPERPARAMETERS.clipNorm,
        learningRate: request.learningRate ?? ADAPT_DEFAULTS.learningRate,
        schedule: 'none',
        maxSteps: steps,
        // The loop's own budget, from this call's start: loading counts, the final save is measured by it.
        maxSeconds: request.maxSeconds ?? ADAPT_DEFAULTS.maxSeconds,
        valFraction: 0,
        evalEvery: steps + 1,
        patience: 0,
        maxEvalChars: 0,
        seed: request.seed ?? 1,
      };
      const dataset = new CharDataset(ids, { seqLength, batchSize: options.batchSize, valFraction: 0, seed: options.seed });
      const lossBefore = meanLoss(model, ids, options);
      const loop = new TrainingLoop(model, dataset, options, { budgetStartedAt: startedAt });
      let result;
      try {
        // The loop's checkpoints are not wanted: adapted/ is written below, once, if it helped.
        result = await loop.run({ save: async () => undefined }, request.signal);
      } finally {
        loop.dispose();
      }
      if (result.stopReason === 'interrupted' || result.stopReason === 'diverged') {
        return { written: false, reason: result.stopReason, lossBefore, lossAfter: NaN };
      }
      const lossAfter = meanLoss(model, ids, options);
      if (!(lossAfter < lossBefore)) return { written: false, reason: 'no-gain', lossBefore, lossAfter };
      const earlier = meta.adaptation;
      const adaptation: Adaptation = {
        base: earlier?.base ?? { step: meta.progress.step, savedAt: meta.savedAt },
        files: [...new Set([...(earlier?.files ?? []).filter((f) => !files.includes(f)), ...files])].slice(-MAX_LISTED_FILES),
        chars: (earlier?.chars ?? 0) + text.length,
        steps: (earlier?.steps ?? 0) + result.stepsThisRun,
        lossBefore,
        lossAfter,
      };
      // Progress and history stay the base's: adapted/ is that model, nudged, not a training step further.
      const adaptedMeta: CheckpointMeta = { ...meta, adaptation, savedAt: new Date().toISOString() };
      const dir = await saveCheckpoint(out, ADAPTED_FOLDER, { model, vocab, meta: adaptedMeta }, request.io);
      return { written: true, dir, adaptation };
    } finally {
      model.dispose();
    }
  } finally {
    await lock.release();
  }
}

/** Training wrote a new best/: the adaptation of the old one is stale (completions already ignore it). */
export async function removeAdaptation(root: string): Promise<void> {
  for (const name of [ADAPTED_FOLDER, `${ADAPTED_FOLDER}.prev`]) await fs.promises.rm(path.join(root, name), { recursive: true, force: true });
}
