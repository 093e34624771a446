/**
 * "Charm: Use Model…" without VS Code: what a picked path is (a checkpoint root, a checkpoint
 * folder itself, or a Keras / TensorFlow.js model file to import), the choice remembered per
 * workspace, where imported models go, where an imported model came from (config.json's `source`,
 * written by src/interop), and copying a chosen model into the workspace's own storage to fine-tune
 * it (the picked folder, perhaps a team's shared one, is only ever read).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../errors';
import type { ImportSource } from '../training/checkpoint';
import { findCheckpoint, readModelSummary } from './modelStore';

export type ModelFileFormat = ImportSource['format'];

/** The model a workspace completes with instead of the one trained on it; stored in its workspaceState. */
export interface ModelChoice {
  /** A checkpoint root (best/, latest/) or a checkpoint folder itself. */
  root: string;
  /** What the status bar and the model view call it. */
  label: string;
  /** Set when `root` was imported from a model file into the extension's storage. */
  imported?: { file: string; format: ModelFileFormat };
}

export function isModelChoice(v: unknown): v is ModelChoice {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  if (typeof c.root !== 'string' || typeof c.label !== 'string') return false;
  if (c.imported === undefined) return true;
  const i = c.imported as Record<string, unknown> | null;
  return typeof i === 'object' && i !== null && typeof i.file === 'string' && isFormat(i.format);
}

function isFormat(v: unknown): v is ModelFileFormat {
  return v === 'keras-h5' || v === 'keras' || v === 'tfjs-layers';
}

export type PickedModel = { kind: 'checkpoint'; root: string } | { kind: 'file'; file: string; format: ModelFileFormat };

const FILE_FORMATS: [RegExp, ModelFileFormat][] = [
  [/\.(h5|hdf5)$/i, 'keras-h5'],
  [/\.keras$/i, 'keras'],
  [/\.json$/i, 'tfjs-layers'],
];

const WHAT_WORKS =
  'choose a Charm checkpoint folder (holding best/ or latest/, or one of those), or a model file: Keras .h5 or .keras, or a TensorFlow.js model.json';

/** What the user picked; a CharmError (one line) when it is none of the things "Use Model…" takes. */
export function classifyModelPath(picked: string): PickedModel {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(picked);
  } catch {
    throw new CharmError(`${picked} does not exist or cannot be read`);
  }
  if (stat.isDirectory()) {
    if (findCheckpoint(picked)) return { kind: 'checkpoint', root: picked };
    // A folder as tensorflowjs_converter writes it: model.json and its weight shards.
    if (fs.existsSync(path.join(picked, 'model.json'))) return { kind: 'file', file: path.join(picked, 'model.json'), format: 'tfjs-layers' };
    throw new CharmError(`${picked} is not a Charm checkpoint: ${WHAT_WORKS}`);
  }
  // A file of a checkpoint (its config.json, weights.json...) stands for its folder.
  if (findCheckpoint(path.dirname(picked)) === path.dirname(picked)) {
    return { kind: 'checkpoint', root: path.dirname(picked) };
  }
  const format = FILE_FORMATS.find(([re]) => re.test(picked))?.[1];
  if (!format) throw new CharmError(`${path.basename(picked)} is not a model Charm can use: ${WHAT_WORKS}`);
  return { kind: 'file', file: picked, format };
}

/** "team-model", or "team-model/best" for a checkpoint folder chosen itself. */
function modelLabel(root: string): string {
  const base = path.basename(root);
  return /^(best|latest)(\.prev)?$/.test(base) ? `${path.basename(path.dirname(root))}/${base}` : base;
}

/** The choice of a checkpoint, after checking that its config.json and weights are there; else a CharmError. */
export function checkpointChoice(root: string, imported?: ModelChoice['imported']): ModelChoice {
  const summary = readModelSummary(root);
  if (!summary) throw new CharmError(`${root} holds no readable Charm checkpoint (its config.json is missing or not a checkpoint's)`);
  for (const file of ['weights.bin', 'vocab.json']) {
    if (!fs.existsSync(path.join(summary.dir, file))) throw new CharmError(`The checkpoint in ${summary.dir} is incomplete: ${file} is missing`);
  }
  return { root, label: imported ? path.basename(imported.file) : modelLabel(root), imported };
}

/** Where an import of `file` goes: a new folder under the storage's imports/ (never an earlier import). */
export function importTarget(importsRoot: string, file: string, now = new Date()): string {
  const name = path
    .basename(file === path.join(path.dirname(file), 'model.json') ? path.dirname(file) : file)
    .replace(/[^\w.-]+/g, '_')
    .slice(0, 60);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(importsRoot, `${name}-${stamp}`);
}

/** Where an imported model came from: config.json's `source` (src/interop writes it), checked field by field. */
export function importSourceOf(checkpointDir: string): ImportSource | undefined {
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(path.join(checkpointDir, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const s = typeof config === 'object' && config !== null ? (config as { source?: unknown }).source : undefined;
  if (typeof s !== 'object' || s === null) return undefined;
  const o = s as Record<string, unknown>;
  if (!isFormat(o.format) || typeof o.file !== 'string' || typeof o.importedAt !== 'string') return undefined;
  if (o.vocabulary !== 'from-text' && o.vocabulary !== 'file') return undefined;
  const source: ImportSource = { format: o.format, file: o.file, importedAt: o.importedAt, vocabulary: o.vocabulary };
  if (typeof o.kerasVersion === 'string') source.kerasVersion = o.kerasVersion;
  if (typeof o.windowLength === 'number') source.windowLength = o.windowLength;
  if (o.outputActivation === 'linear' || o.outputActivation === 'softmax') source.outputActivation = o.outputActivation;
  return source;
}

const FORMAT_NAMES: Record<ModelFileFormat, string> = { 'keras-h5': 'Keras HDF5', keras: 'Keras 3 .keras', 'tfjs-layers': 'TensorFlow.js layers' };

/** "imported from m.h5 (Keras HDF5, Keras 2.15.0, trained on windows of 40 characters; vocabulary from the training text)". */
export function describeSource(s: ImportSource): string {
  const facts = [FORMAT_NAMES[s.format]];
  if (s.kerasVersion) facts.push(`Keras ${s.kerasVersion}`);
  if (s.windowLength) facts.push(`trained on windows of ${s.windowLength} characters`);
  if (s.outputActivation === 'softmax') facts.push('softmax output');
  const vocab = s.vocabulary === 'from-text' ? 'vocabulary from the training text' : 'vocabulary from a file';
  return `imported from ${path.basename(s.file)} (${facts.join(', ')}; ${vocab})`;
}

const KINDS = ['best', 'latest'] as const;
const REPLACED = ['best', 'latest', 'best.prev', 'latest.prev'];

/**
 * Copies the chosen model into the workspace's model root, to fine-tune it there: its best/ and
 * latest/ (latest/ carries the optimizer state), or a checkpoint folder chosen itself as best/.
 * The copy is made beside the root first; only then are the root's own checkpoints replaced.
 */
export async function adoptCheckpoint(from: string, root: string): Promise<void> {
  const sources: [kind: string, dir: string][] = fs.existsSync(path.join(from, 'config.json'))
    ? [['best', from]]
    : KINDS.map((k): [string, string] => [k, path.join(from, k)]).filter(([, d]) => fs.existsSync(path.join(d, 'config.json')));
  if (sources.length === 0) throw new CharmError(`No checkpoint to fine-tune in ${from}`);
  fs.mkdirSync(root, { recursive: true });
  const staging = path.join(root, `.adopt.tmp-${process.pid}`);
  await fs.promises.rm(staging, { recursive: true, force: true });
  try {
    for (const [kind, dir] of sources) await fs.promises.cp(dir, path.join(staging, kind), { recursive: true });
    for (const name of REPLACED) await fs.promises.rm(path.join(root, name), { recursive: true, force: true });
    for (const [kind] of sources) await fs.promises.rename(path.join(staging, kind), path.join(root, kind));
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}
