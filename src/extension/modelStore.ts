/**
 * Where models live and what is on disk, read without tfjs (the extension host never loads it):
 * the checkpoint root holds best/ and latest/ (see src/training/checkpoint.ts), each with a
 * config.json that carries the model's shape, progress, loss history and corpus statistics.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointMeta } from '../training/checkpoint';
import type { TrainingRequest } from './protocol';

/** The model of a workspace lives in its storage; with no folder open, in the global storage. */
export function modelRoot(storagePath: string | undefined, globalStoragePath: string): string {
  return path.join(storagePath ?? globalStoragePath, 'model');
}

/** Models imported by "Use Model…" from Keras or TensorFlow.js files, one folder each, beside the workspace's own. */
export function importsRoot(storagePath: string | undefined, globalStoragePath: string): string {
  return path.join(storagePath ?? globalStoragePath, 'imports');
}

const CANDIDATES = ['best', 'latest', 'best.prev', 'latest.prev'];

/**
 * The checkpoint folder to describe (best first), or undefined when there is none. `root` may also
 * be a checkpoint folder itself (a best/ or latest/ chosen with "Use Model…", e.g. a shared one).
 */
export function findCheckpoint(root: string, prefer: 'best' | 'latest' = 'best'): string | undefined {
  if (fs.existsSync(path.join(root, 'config.json'))) return root;
  const order = prefer === 'best' ? CANDIDATES : ['latest', 'best', 'latest.prev', 'best.prev'];
  return order.map((k) => path.join(root, k)).find((d) => fs.existsSync(path.join(d, 'config.json')));
}

/** Written by src/training/adapt.ts (this side never loads tfjs, so the name is repeated here). */
const ADAPTED = 'adapted';

function readMeta(dir: string): CheckpointMeta | undefined {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as CheckpointMeta;
    return meta.model && meta.progress && meta.history ? meta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The adapted/ checkpoint of `root` (fine-tuned on saved files) when it derives from the checkpoint
 * completions would use otherwise (best/ now: same step and savedAt); else undefined, and the stale
 * one is ignored. A chosen checkpoint folder (not a root) has none.
 */
export function adaptedCheckpoint(root: string): { dir: string; meta: CheckpointMeta } | undefined {
  if (fs.existsSync(path.join(root, 'config.json'))) return undefined;
  const dir = [ADAPTED, `${ADAPTED}.prev`].map((k) => path.join(root, k)).find((d) => fs.existsSync(path.join(d, 'config.json')));
  const base = findCheckpoint(root);
  if (!dir || !base) return undefined;
  const meta = readMeta(dir);
  const current = readMeta(base);
  const from = meta?.adaptation?.base;
  if (!meta || !current || !from || from.step !== current.progress.step || from.savedAt !== current.savedAt) return undefined;
  return { dir, meta };
}

/** The checkpoint completions load from `root`: a current adapted/, else best/ (then latest/). */
export function completionCheckpoint(root: string): string | undefined {
  return adaptedCheckpoint(root)?.dir ?? findCheckpoint(root);
}

export function hasModel(root: string): boolean {
  return findCheckpoint(root) !== undefined;
}

/**
 * What the workspace memory (the completion n-gram) reads: the files training was started on,
 * with its corpus rules. The host writes it when training starts, so the completion process can
 * build the memory at once, long before the first checkpoint, and again after a reload.
 */
export interface MemorySpec {
  paths: string[];
  corpus: TrainingRequest['corpus'];
}

const MEMORY_SPEC = 'memory.json';

export function readMemorySpec(root: string): MemorySpec | undefined {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(root, MEMORY_SPEC), 'utf8')) as Partial<MemorySpec>;
    const c = spec.corpus;
    if (!Array.isArray(spec.paths) || !spec.paths.every((p) => typeof p === 'string')) return undefined;
    if (!c || !Array.isArray(c.exclude) || !Array.isArray(c.secretPatterns) || typeof c.maxFileBytes !== 'number') return undefined;
    return { paths: spec.paths, corpus: c };
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed into place: a reader never sees half of it. */
export function writeMemorySpec(root: string, spec: MemorySpec): void {
  fs.mkdirSync(root, { recursive: true });
  const tmp = path.join(root, `.${MEMORY_SPEC}.tmp-${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(spec, null, 1));
  fs.renameSync(tmp, path.join(root, MEMORY_SPEC));
}

/** A checkpoint or a workspace memory to complete with. */
export function hasCompletionSource(root: string): boolean {
  return hasModel(root) || readMemorySpec(root) !== undefined;
}

export interface ModelSummary {
  dir: string;
  meta: CheckpointMeta;
  /** Size of weights.bin. */
  weightBytes: number;
  /** Everything under the root (both checkpoints, optimizer state). */
  totalBytes: number;
}

/** Reads a checkpoint's config.json; undefined when missing or unreadable. */
export function readModelSummary(root: string, prefer: 'best' | 'latest' = 'best'): ModelSummary | undefined {
  const dir = findCheckpoint(root, prefer);
  if (!dir) return undefined;
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as CheckpointMeta;
    if (!meta.model || !meta.progress || !meta.history) return undefined;
    return { dir, meta, weightBytes: fileSize(path.join(dir, 'weights.bin')), totalBytes: folderSize(root) };
  } catch {
    return undefined;
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function folderSize(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderSize(p) : fileSize(p);
  }
  return total;
}

/** Deletes the model folder; true when something was there. */
export async function deleteModel(root: string): Promise<boolean> {
  const existed = fs.existsSync(root);
  await fs.promises.rm(root, { recursive: true, force: true });
  return existed;
}

/**
 * Loss history thinned to at most `max` points for drawing (bucket means for the train curve,
 * whose thousands of noisy per-step values would only blur the chart).
 */
export function thinHistory(points: readonly [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points.map(([s, l]) => [s, l]);
  const out: [number, number][] = [];
  const size = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * size);
    const to = Math.max(from + 1, Math.floor((b + 1) * size));
    let loss = 0;
    for (let k = from; k < to; k++) loss += points[k][1];
    out.push([points[to - 1][0], loss / (to - from)]);
  }
  return out;
}
