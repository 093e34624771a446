/**
 * Checkpoints: a root directory holding `latest/` (with optimizer state, for resuming) and `best/`
 * (lowest validation loss, for sampling). Each holds config.json, vocab.json, weights.json (the
 * manifest, with a SHA-256 of the data) and weights.bin. A directory is written under a temporary
 * name and renamed into place, so a crash at any moment leaves a complete previous checkpoint.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CharmError } from '../errors';
import { CharModel, weightSpecs } from '../model/charModel';
import { ModelConfig, validateModelConfig } from '../model/config';
import { AdamState } from './adam';
import { CheckpointIo, fileSystemIo } from './checkpointIo';
import { Vocabulary } from './vocabulary';
import { processIsAlive } from '../util/processAlive';

export const CHECKPOINT_FORMAT = 'charm-checkpoint';
const CHECKPOINT_VERSION = 1;

export interface TrainingProgress {
  step: number;
  epoch: number;
  /** Next batch within the epoch, so a resumed run continues where this one stopped. */
  batchInEpoch: number;
  charsSeen: number;
  elapsedSeconds: number;
  bestValLoss: number | null;
  bestStep: number | null;
  evalsWithoutImprovement: number;
  /** Multiplier on the learning rate, lowered by the NaN guard. */
  learningRateScale: number;
}

/** The progress of a model that has not trained yet. */
export function freshProgress(): TrainingProgress {
  return {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    charsSeen: 0,
    elapsedSeconds: 0,
    bestValLoss: null,
    bestStep: null,
    evalsWithoutImprovement: 0,
    learningRateScale: 1,
  };
}

export interface LossHistory {
  /** [step, loss] pairs. */
  train: [number, number][];
  val: [number, number][];
}

export interface CorpusStats {
  sources: string[];
  files: number;
  chars: number;
  trainChars: number;
  valChars: number;
  unknownChars: number;
  /** Files left out, by reason (binary, too-large, secret, ...); absent in older checkpoints. */
  skipped?: Record<string, number>;
  /** The files whose text was read, in corpus order; absent in older checkpoints. */
  filesRead?: string[];
  /** Secrets replaced by the placeholder before training, per file; absent in older checkpoints. */
  redacted?: { path: string; count: number }[];
}

/** Where an imported model came from (`charm import`). */
export interface ImportSource {
  format: 'keras-h5' | 'keras' | 'tfjs-layers';
  file: string;
  importedAt: string;
  kerasVersion?: string;
  /** The input length of a many-to-one model (trained on fixed windows), when its file says. */
  windowLength?: number;
  /** The file's Dense activation: a softmax's kernel and bias are kept as logits (log_softmax(z) = z - const). */
  outputActivation?: 'linear' | 'softmax';
  vocabulary: 'from-text' | 'file';
}

/** Everything in config.json besides the format marker. */
export interface CheckpointMeta {
  model: ModelConfig;
  /** The resolved training options of the run that wrote it. */
  training: Record<string, unknown>;
  corpus: CorpusStats;
  progress: TrainingProgress;
  history: LossHistory;
  backend: string;
  savedAt: string;
  /** Absent for models Charm trained. */
  source?: ImportSource;
  /** Only in an adapted/ checkpoint (src/training/adapt.ts): what it was fine-tuned from and on. */
  adaptation?: Adaptation;
}

/** An adapted/ checkpoint's origin: the base checkpoint (its step and savedAt identify it) and the saved files. */
export interface Adaptation {
  base: { step: number; savedAt: string };
  files: string[];
  chars: number;
  steps: number;
  /** Mean loss on the saved text before and after (nats/char). */
  lossBefore: number;
  lossAfter: number;
}

interface WeightEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface WeightsManifest {
  dtype: 'float32';
  byteLength: number;
  sha256: string;
  weights: WeightEntry[];
  optimizer?: { step: number; byteLength: number; sha256: string };
}

export interface LoadedCheckpoint {
  dir: string;
  model: CharModel;
  vocab: Vocabulary;
  meta: CheckpointMeta;
  optimizer?: AdamState;
}

export type CheckpointKind = 'latest' | 'best';
/** The folders saveCheckpoint writes: training's two, and the adaptation to saved files (never read by training). */
export type SavedKind = CheckpointKind | 'adapted';

function sha256(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

async function packTensors(tensors: tf.Tensor[]): Promise<Uint8Array> {
  const total = tensors.reduce((n, t) => n + t.size, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    out.set(await t.data(), offset);
    offset += t.size;
  }
  return new Uint8Array(out.buffer);
}

/**
 * Replaces `target` by `source` so that one complete directory exists at every moment: when a crash
 * mid-swap left only `<target>.prev`, it stays until the new directory is in place.
 */
async function swapDirectory(io: CheckpointIo, kind: string, source: string, target: string): Promise<void> {
  const previous = `${target}.prev`;
  if (fs.existsSync(target)) {
    await io.remove(previous);
    await io.rename(target, previous);
    await io.stage(kind, 'moved-old');
  }
  await io.rename(source, target);
  await io.stage(kind, 'renamed');
  await io.remove(previous);
}

/** Temporary folders of saves running in this process, for abandonSavesInProgress. */
const savesInProgress = new Set<string>();

const TEMP_NAME = /^\.(best|latest|adapted)\.tmp-(\d+)-[0-9a-f]+$/;

function tempFolderName(kind: SavedKind): string {
  // The writer's pid is part of the name, so a later run can tell a dead writer's leftovers.
  return `.${kind}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

/** Bytes a checkpoint takes on disk (the JSON files aside): float32 weights, and Adam's m and v with the optimizer. */
export function checkpointBytes(config: ModelConfig, withOptimizer: boolean): number {
  const weights = 4 * weightSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  return withOptimizer ? 3 * weights : weights;
}

export async function saveCheckpoint(
  root: string,
  kind: SavedKind,
  data: { model: CharModel; vocab: Vocabulary; meta: CheckpointMeta; optimizer?: AdamState },
  io: CheckpointIo = fileSystemIo,
): Promise<string> {
  await fs.promises.mkdir(root, { recursive: true });
  const target = path.join(root, kind);
  const temp = path.join(root, tempFolderName(kind));
  savesInProgress.add(temp);
  try {
    await io.mkdir(temp);
    const specs = weightSpecs(data.model.config);
    const variables = data.model.variables;
    const weightBytes = await packTensors(variables);
    let offset = 0;
    const weights: WeightEntry[] = specs.map((s, k) => {
      const entry = { name: s.name, shape: s.shape, offset, length: variables[k].size };
      offset += variables[k].size;
      return entry;
    });
    const manifest: WeightsManifest = { dtype: 'float32', byteLength: weightBytes.byteLength, sha256: sha256(weightBytes), weights };
    await io.writeFile(path.join(temp, 'weights.bin'), weightBytes);
    if (data.optimizer) {
      const optimizerBytes = await packTensors([...data.optimizer.m, ...data.optimizer.v]);
      manifest.optimizer = { step: data.optimizer.step, byteLength: optimizerBytes.byteLength, sha256: sha256(optimizerBytes) };
      await io.writeFile(path.join(temp, 'optimizer.bin'), optimizerBytes);
    }
    await io.writeFile(path.join(temp, 'weights.json'), JSON.stringify(manifest, null, 1));
    await io.writeFile(path.join(temp, 'vocab.json'), JSON.stringify(data.vocab.toJSON()));
    // config.json last: its presence marks a complete directory.
    const config = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...data.meta };
    await io.writeFile(path.join(temp, 'config.json'), JSON.stringify(config, null, 1));
    await io.stage(kind, 'written');
    await swapDirectory(io, kind, temp, target);
  } catch (error) {
    await fs.promises.rm(temp, { recursive: true, force: true });
    // Failed between the two renames: put the previous checkpoint back under its own name.
    const previous = `${target}.prev`;
    if (!fs.existsSync(target) && fs.existsSync(path.join(previous, 'config.json'))) {
      await fs.promises.rename(previous, target).catch(() => undefined);
    }
    throw error;
  } finally {
    savesInProgress.delete(temp);
  }
  await io.stage(kind, 'saved');
  return target;
}

/**
 * Removes the temporary folders of saves still running in this process, synchronously: for a
 * process about to exit at once (a second Ctrl-C). A swap cut short leaves `<kind>.prev`, which loads.
 */
export function abandonSavesInProgress(): void {
  for (const temp of savesInProgress) fs.rmSync(temp, { recursive: true, force: true });
  savesInProgress.clear();
}

/** Removes `.best.tmp-*` / `.latest.tmp-*` / `.adapted.tmp-*` folders whose writer process is gone; returns their names. */
export async function removeStaleTempFolders(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && processIsAlive(pid)) continue;
    if (pid === process.pid && [...savesInProgress].some((t) => path.basename(t) === name)) continue;
    await fs.promises.rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Accepts a checkpoint root (prefers best/, then latest/) or a latest/ or best/ directory itself.
 * A directory left as `<kind>.prev` by a crash mid-swap is used when `<kind>` is missing.
 */
export function resolveCheckpointDir(dir: string, prefer: CheckpointKind = 'best'): string {
  if (!fs.existsSync(dir)) throw new CharmError(`No model at ${dir}: the folder does not exist`);
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const order: CheckpointKind[] = prefer === 'best' ? ['best', 'latest'] : ['latest', 'best'];
  // A kind's .prev (left by a crash mid-swap) comes before the other kind: resuming from best/
  // would lose the optimizer state and go back in steps.
  const candidates = order.flatMap((k) => [path.join(dir, k), path.join(dir, `${k}.prev`)]);
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(candidate, 'config.json'))) return candidate;
  }
  throw new CharmError(`No model at ${dir}: expected a checkpoint folder with config.json, or one holding best/ or latest/`);
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CharmError(`Unreadable checkpoint: ${what} is missing (${file})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CharmError(`Unreadable checkpoint: ${what} is not valid JSON (${file}); the file is truncated or corrupted`);
  }
}

function readBlob(file: string, byteLength: number, digest: string, what: string): Float32Array {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new CharmError(`Unreadable checkpoint: ${what} is missing (${file})`);
  }
  if (bytes.byteLength !== byteLength) {
    throw new CharmError(
      `Unreadable checkpoint: ${path.basename(file)} has ${bytes.byteLength} bytes, expected ${byteLength}; the file is truncated or corrupted`,
    );
  }
  if (sha256(bytes) !== digest) throw new CharmError(`Unreadable checkpoint: ${path.basename(file)} fails its checksum; the file is corrupted`);
  // Copy into an aligned buffer: a Buffer's offset in its pool need not be a multiple of 4.
  const aligned = new Uint8Array(byteLength);
  aligned.set(bytes);
  return new Float32Array(aligned.buffer);
}

export function readCheckpointMeta(dir: string): CheckpointMeta {
  const config = readJson(path.join(dir, 'config.json'), 'config.json') as Record<string, unknown>;
  if (config === null || typeof config !== 'object' || config.format !== CHECKPOINT_FORMAT) {
    throw new CharmError(`Unreadable checkpoint: ${dir}/config.json is not a Charm checkpoint`);
  }
  if (config.version !== CHECKPOINT_VERSION) {
    throw new CharmError(`Unsupported checkpoint version ${String(config.version)} in ${dir} (this Charm reads version ${CHECKPOINT_VERSION})`);
  }
  const meta = config as unknown as CheckpointMeta;
  if (!meta.model || !meta.progress || !meta.history) throw new CharmError(`Unreadable checkpoint: ${dir}/config.json lacks model, progress or history`);
  try {
    validateModelConfig(meta.model);
  } catch (error) {
    throw new CharmError(`Unreadable checkpoint: ${(error as Error).message}`);
  }
  return meta;
}

interface CheckpointFiles {
  dir: string;
  meta: CheckpointMeta;
  vocab: Vocabulary;
  manifest: WeightsManifest;
  weights: Float32Array;
}

/** Reads and checks everything but the optimizer state: JSON files, sizes, the weights' checksum and layout. */
function readCheckpointFiles(dir: string): CheckpointFiles {
  const meta = readCheckpointMeta(dir);
  const vocab = Vocabulary.fromJSON(readJson(path.join(dir, 'vocab.json'), 'vocab.json'));
  if (vocab.size !== meta.model.vocabSize) {
    throw new CharmError(`Unreadable checkpoint: vocab.json has ${vocab.size} symbols but the model expects ${meta.model.vocabSize}`);
  }
  const manifest = readJson(path.join(dir, 'weights.json'), 'weights.json') as WeightsManifest;
  if (!manifest || !Array.isArray(manifest.weights) || typeof manifest.byteLength !== 'number') {
    throw new CharmError(`Unreadable checkpoint: ${dir}/weights.json is malformed`);
  }
  const weights = readBlob(path.join(dir, 'weights.bin'), manifest.byteLength, manifest.sha256, 'weights.bin');
  for (const w of manifest.weights) {
    if (w.offset + w.length > weights.length || w.length !== w.shape.reduce((a, b) => a * b, 1)) {
      throw new CharmError(`Unreadable checkpoint: weight ${w.name} does not fit weights.bin`);
    }
  }
  return { dir, meta, vocab, manifest, weights };
}

function readOptimizerBlob(files: CheckpointFiles): Float32Array | undefined {
  const { dir, manifest, meta } = files;
  if (!manifest.optimizer) return undefined;
  const blob = readBlob(path.join(dir, 'optimizer.bin'), manifest.optimizer.byteLength, manifest.optimizer.sha256, 'optimizer.bin');
  const total = weightSpecs(meta.model).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (blob.length !== 2 * total) throw new CharmError('Unreadable checkpoint: optimizer.bin does not match the model');
  return blob;
}

/**
 * Checks a checkpoint as loading it would (JSON, sizes, checksums, layout, the optimizer state
 * too), without building the model; returns its folder and metadata. Damage is a CharmError.
 */
export function verifyCheckpoint(dirOrRoot: string, prefer: CheckpointKind = 'best'): { dir: string; meta: CheckpointMeta } {
  const files = readCheckpointFiles(resolveCheckpointDir(dirOrRoot, prefer));
  readOptimizerBlob(files);
  return { dir: files.dir, meta: files.meta };
}

export async function loadCheckpoint(dirOrRoot: string, options: { prefer?: CheckpointKind; withOptimizer?: boolean } = {}): Promise<LoadedCheckpoint> {
  const files = readCheckpointFiles(resolveCheckpointDir(dirOrRoot, options.prefer));
  const { dir, meta, vocab, manifest, weights: data } = files;
  const blob = options.withOptimizer ? readOptimizerBlob(files) : undefined;
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const w of manifest.weights) {
      tensors.set(w.name, tf.tensor(data.subarray(w.offset, w.offset + w.length), w.shape, 'float32'));
    }
    const model = CharModel.fromTensors(meta.model, tensors);
    let optimizer: AdamState | undefined;
    if (blob && manifest.optimizer) {
      const specs = weightSpecs(meta.model);
      const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
      let offset = 0;
      const take = (k: number) => {
        const t = tf.tensor(blob.subarray(offset, offset + sizes[k]), specs[k].shape, 'float32');
        offset += sizes[k];
        return t;
      };
      const m = specs.map((_, k) => take(k));
      const v = specs.map((_, k) => take(k));
      optimizer = { step: manifest.optimizer.step, m, v };
    }
    return { dir, model, vocab, meta, optimizer };
  } finally {
    // fromTensors copied them into variables.
    for (const t of tensors.values()) t.dispose();
  }
}
