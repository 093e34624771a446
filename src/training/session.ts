/**
 * One training session from paths to checkpoints: corpus -> vocabulary -> dataset -> model -> training loop
 * -> checkpoints. The CLI and the extension's training process are thin front ends over it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../errors';
import { BackendChoice, BackendInfo, initBackend } from '../accel';
import { CharModel } from '../model/charModel';
import { CellName, DEFAULT_CELL } from '../model/cells';
import { DEFAULT_PRESET, ModelConfig, PresetName, presetByName, parameterCount } from '../model/config';
import { CorpusOptions } from './corpus';
import { TrainingInput, preparedInput, textInput } from './trainingInput';
import {
  CheckpointMeta,
  CorpusStats,
  ImportSource,
  TrainingProgress,
  checkpointBytes,
  loadCheckpoint,
  readCheckpointMeta,
  removeStaleTempFolders,
  resolveCheckpointDir,
  saveCheckpoint,
} from './checkpoint';
import { CheckpointIo } from './checkpointIo';
import { removeAdaptation } from './adapt';
import { lockCheckpointFolder } from './checkpointLock';
import { ensureWritableFolder, errnoCode, removeIfEmpty, saveFailure } from './outputFolder';
import { CharDataset } from './dataset';
import { EvalEvent, StepEvent, TrainingLoop, TrainingLoopResult, TrainingLoopStart } from './trainingLoop';
import { DEFAULT_HYPERPARAMETERS, Hyperparameters, validateHyperparameters } from './hyperparameters';
import { Vocabulary } from './vocabulary';

/** What to train on, into which folder, with what model and hyperparameters (all but `paths` and `out` optional). */
export interface SessionRequest {
  paths: string[];
  /** A folder written by `charm prepare`, read instead of `paths` (which must then be empty). */
  data?: string;
  out: string;
  preset?: PresetName;
  cell?: CellName;
  layers?: number;
  units?: number;
  embedding?: number;
  /** Any option left out comes from the preset (shape) or the defaults. */
  options?: Partial<Hyperparameters>;
  /** Continue the model in `out` (same corpus: resume; another corpus: fine-tune). */
  resume?: boolean;
  /** Replace a model already in `out` instead of refusing. */
  overwrite?: boolean;
  /**
   * Continue the model in `out` on text it does not know well: without it, a resume refuses a
   * corpus with more than MAX_UNKNOWN_SHARE of characters outside the model's vocabulary. Implies resume.
   */
  fineTune?: boolean;
  /** Who this training is, for the lock's owner file (e.g. "charm train ."). */
  writer?: string;
  /** The checkpoint writer's file operations (tests inject faults here). */
  io?: CheckpointIo;
  maxVocabulary?: number;
  corpus?: CorpusOptions;
  backend?: BackendChoice;
  signal?: AbortSignal;
  /**
   * When --max-seconds began, in seconds on the performance.now() clock. Default: this call; the
   * CLI passes 0, the process start, so the budget is the command's whole wall clock.
   */
  budgetStartedAt?: number;
}

export interface StartInfo {
  backend: BackendInfo;
  model: ModelConfig;
  parameters: number;
  options: Hyperparameters;
  corpus: CorpusStats;
  corpusSummary: string;
  resumed: boolean;
  fineTuning: boolean;
  startStep: number;
  /** The validation loss a new best/ must beat (null: none yet). */
  bestValLoss: number | null;
  out: string;
}

export interface SessionHooks {
  onStart?: (info: StartInfo) => void;
  onStep?: (event: StepEvent) => void;
  onEval?: (event: EvalEvent) => void;
  onCheckpoint?: (event: { step: number; path: string; best: boolean }) => void;
  onWarning?: (message: string) => void;
}

export interface SessionResult extends TrainingLoopResult {
  out: string;
  backend: BackendInfo;
}

/** Above this share of characters outside the model's vocabulary a resume needs fineTune. */
export const MAX_UNKNOWN_SHARE = 0.05;

export function percent(share: number): string {
  return `${Number((share * 100).toFixed(share < 0.1 ? 1 : 0))} %`;
}

function hasCheckpoint(out: string): boolean {
  try {
    resolveCheckpointDir(out, 'latest');
    return true;
  } catch {
    return false;
  }
}

async function readInput(request: SessionRequest): Promise<TrainingInput> {
  if (request.data === undefined) return textInput(request.paths, { ...request.corpus, signal: request.signal });
  if (request.paths.length > 0) throw new CharmError('Train on files or on prepared data (--data), not both');
  return preparedInput(request.data);
}

export async function runTrainingSession(request: SessionRequest, hooks: SessionHooks = {}): Promise<SessionResult> {
  // --max-seconds covers reading the corpus and building the model too.
  const budgetStartedAt = request.budgetStartedAt ?? performance.now() / 1000;
  const out = path.resolve(request.out);
  // Before anything costly: a bad --out fails now, not at the first save.
  const created = ensureWritableFolder(out);
  const lock = await lockCheckpointFolder(out, request.writer ?? defaultWriter(), (message) => hooks.onWarning?.(message));
  let saved = false;
  try {
    const removed = await removeStaleTempFolders(out);
    if (removed.length) hooks.onWarning?.(`Removed ${removed.length} temporary folder${removed.length === 1 ? '' : 's'} left by an interrupted save in ${out}`);
    const result = await trainLocked({ ...request, resume: request.resume || request.fineTune }, out, budgetStartedAt, hooks, () => {
      saved = true;
    });
    return result;
  } finally {
    await lock.release();
    if (created && !saved) removeIfEmpty(out);
  }
}

function defaultWriter(): string {
  return [path.basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' ');
}

async function trainLocked(request: SessionRequest, out: string, budgetStartedAt: number, hooks: SessionHooks, onSaved: () => void): Promise<SessionResult> {
  const existing = hasCheckpoint(out);
  if (request.resume && !existing) throw new CharmError(`Cannot resume: no checkpoint in ${out}`);
  if (!request.resume && existing && !request.overwrite) {
    throw new CharmError(`${out} already holds a model: pass --resume to continue training it, or --overwrite to replace it`);
  }
  const backend = await initBackend(request.backend ?? 'auto');
  const input = await readInput(request);
  const corpusHash = input.hash;
  if (input.valFraction !== undefined && request.options?.valFraction !== undefined && request.options.valFraction !== input.valFraction) {
    throw new CharmError(`The prepared data was split with --val-fraction ${input.valFraction}: prepare it again to change the split`);
  }
  // Prepared data keeps the split it was made with.
  const requested: Partial<Hyperparameters> = {
    ...stripUndefined(request.options ?? {}),
    ...(input.valFraction !== undefined ? { valFraction: input.valFraction } : {}),
  };

  let model: CharModel;
  let vocab: Vocabulary;
  let options: Hyperparameters;
  let start: TrainingLoopStart = {};
  let fineTuning = false;
  let previousTraining: Record<string, unknown> = {};
  let encoded: { ids: Int32Array; unknown: number };
  let source: ImportSource | undefined;

  if (request.resume) {
    const loaded = await loadCheckpoint(out, { prefer: 'latest', withOptimizer: true });
    const m = loaded.meta.model;
    const conflicts = (['cell', 'layers', 'units', 'embedding'] as const).filter((k) => request[k] !== undefined && request[k] !== m[k]);
    if (request.preset) {
      const p = presetByName(request.preset);
      if (p.units !== m.units || p.embedding !== m.embedding) conflicts.push('units');
    }
    encoded = input.encode(loaded.vocab);
    const unknownShare = encoded.unknown / Math.max(1, encoded.ids.length);
    const refusal = conflicts.length
      ? `Cannot change the model's ${conflicts.join(', ')} when resuming: ${out} holds a ${m.cell} of ${m.layers}x${m.units} units with embedding ${m.embedding}`
      : unknownShare > MAX_UNKNOWN_SHARE && !request.fineTune
        ? `${percent(unknownShare)} of the corpus's characters are not in the vocabulary of the model in ${out} (more than ${percent(MAX_UNKNOWN_SHARE)}): ` +
          'this text is too different to resume on. Pass --fine-tune to fine-tune the model on it anyway, or --overwrite to train a new model'
        : undefined;
    if (refusal) {
      loaded.model.dispose();
      loaded.optimizer?.m.forEach((t) => t.dispose());
      loaded.optimizer?.v.forEach((t) => t.dispose());
      throw new CharmError(refusal);
    }
    model = loaded.model;
    vocab = loaded.vocab;
    previousTraining = loaded.meta.training;
    // An imported model stays imported after fine-tuning: info and the model view keep saying where it came from.
    source = loaded.meta.source;
    if (!loaded.optimizer) {
      hooks.onWarning?.(`${out} has no optimizer state (${source ? 'an imported model' : 'latest/ is missing; resuming from best/'}): Adam starts fresh`);
    }
    fineTuning = (loaded.meta.training.corpusHash as string | undefined) !== corpusHash;
    const saved = loaded.meta.training as Partial<Hyperparameters>;
    options = resolveHyperparameters(
      { seqLength: saved.seqLength, batchSize: saved.batchSize, learningRate: saved.learningRate, ...requested },
      request.preset,
    );
    const progress = { ...loaded.meta.progress };
    if (fineTuning) {
      // New text: the position in the old corpus means nothing, and old validation losses are not comparable.
      progress.epoch = 0;
      progress.batchInEpoch = 0;
      progress.bestValLoss = null;
      progress.bestStep = null;
      progress.evalsWithoutImprovement = 0;
    } else {
      keepBestOfBoth(progress, out, hooks);
    }
    progress.learningRateScale = 1;
    start = { progress, history: loaded.meta.history, optimizer: loaded.optimizer };
  } else {
    const preset = presetByName(request.preset ?? DEFAULT_PRESET);
    vocab = input.newVocabulary(request.maxVocabulary);
    encoded = input.encode(vocab);
    options = resolveHyperparameters(requested, request.preset);
    const config: ModelConfig = {
      cell: request.cell ?? DEFAULT_CELL,
      vocabSize: vocab.size,
      embedding: request.embedding ?? preset.embedding,
      units: request.units ?? preset.units,
      layers: request.layers ?? preset.layers,
    };
    model = CharModel.create(config, options.seed);
  }

  const { ids, unknown: unknownChars } = encoded;
  if (fineTuning && unknownChars > 0) {
    hooks.onWarning?.(
      `${unknownChars} characters of the new corpus are not in the model's vocabulary; ${vocab.unknownId === null ? 'they are skipped (the vocabulary has no unknown symbol)' : 'they map to the unknown symbol'}`,
    );
  }
  const dataset = new CharDataset(ids, { seqLength: options.seqLength, batchSize: options.batchSize, valFraction: options.valFraction, seed: options.seed });
  const { sources, files, skipped, filesRead, redacted } = input.stats;
  const stats: CorpusStats = {
    sources,
    files,
    chars: ids.length,
    trainChars: dataset.train.length,
    valChars: dataset.val.length,
    unknownChars,
    skipped,
    filesRead,
    redacted,
  };
  if (!request.resume && existing) {
    // Replacing a model: its checkpoints go now, so best/ and latest/ never mix two models.
    await removeCheckpoints(out);
  }
  const loop = new TrainingLoop(model, dataset, options, { ...start, budgetStartedAt });
  // The optimizer copied its state; the loaded tensors are ours to free.
  start.optimizer?.m.forEach((t) => t.dispose());
  start.optimizer?.v.forEach((t) => t.dispose());

  const startStep = start.progress?.step ?? 0;
  hooks.onStart?.({
    backend,
    model: model.config,
    parameters: parameterCount(model.config),
    options,
    corpus: stats,
    corpusSummary: input.summary,
    resumed: !!request.resume,
    fineTuning,
    startStep,
    bestValLoss: start.progress?.bestValLoss ?? null,
    out,
  });

  const training = { ...previousTraining, ...options, corpusHash };
  try {
    const result = await loop.run(
      {
        onStep: hooks.onStep,
        onEval: hooks.onEval,
        onWarning: hooks.onWarning,
        save: async (kind, state) => {
          const meta: CheckpointMeta = {
            model: model.config,
            training,
            corpus: stats,
            progress: state.progress,
            history: state.history,
            backend: backend.name,
            savedAt: new Date().toISOString(),
            ...(source ? { source } : {}),
          };
          let written: string;
          try {
            written = await saveCheckpoint(out, kind, { model, vocab, meta, optimizer: state.optimizer }, request.io);
          } catch (error) {
            if (errnoCode(error)) throw saveFailure(error, path.join(out, kind), checkpointBytes(model.config, kind === 'latest'));
            throw error;
          }
          onSaved();
          if (kind === 'best') await removeAdaptation(out);
          hooks.onCheckpoint?.({ step: state.progress.step, path: written, best: kind === 'best' });
        },
      },
      request.signal,
    );
    return { ...result, out, backend };
  } finally {
    loop.dispose();
    model.dispose();
  }
}

/**
 * best/ is written before latest/, so a run stopped between the two (a kill, a full disk) leaves
 * latest/ with an older, higher best loss: the loss to beat is the lower of the two, so the
 * resumed run never replaces a better best/.
 */
function keepBestOfBoth(progress: TrainingProgress, out: string, hooks: SessionHooks): void {
  let bestDir: string;
  try {
    bestDir = resolveCheckpointDir(out, 'best');
  } catch {
    return;
  }
  let own: TrainingProgress;
  try {
    own = readCheckpointMeta(bestDir).progress;
  } catch (error) {
    hooks.onWarning?.(`${bestDir} is unreadable (${(error as Error).message}); the next better model replaces it`);
    return;
  }
  if (own.bestValLoss !== null && (progress.bestValLoss === null || own.bestValLoss < progress.bestValLoss)) {
    progress.bestValLoss = own.bestValLoss;
    progress.bestStep = own.bestStep;
  }
}

async function removeCheckpoints(out: string): Promise<void> {
  for (const kind of ['latest', 'best']) {
    for (const name of [kind, `${kind}.prev`]) await fs.promises.rm(path.join(out, name), { recursive: true, force: true });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveHyperparameters(given: Partial<Hyperparameters>, presetName?: PresetName): Hyperparameters {
  const preset = presetByName(presetName ?? DEFAULT_PRESET);
  const options: Hyperparameters = {
    ...DEFAULT_HYPERPARAMETERS,
    seqLength: preset.seqLength,
    batchSize: preset.batchSize,
    learningRate: preset.learningRate,
    ...stripUndefined(given),
  };
  validateHyperparameters(options);
  return options;
}
