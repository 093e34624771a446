/**
 * The benchmark's workspace: rxjs 7.8.1's src/ (fetched once with `npm pack` into the cache) or any
 * folder, its files as the training corpus rules pick them, split into held-out files (typed,
 * never trained on) and a training folder holding only the rest (what `charm train` reads).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../../src/errors';
import { buildCorpus } from '../../src/training/corpus';
import { SeededRandom } from '../../src/util/random';

export const RXJS_PACKAGE = 'rxjs@7.8.1';
/** Files shorter than this are never held out: too short to type 6,000 characters of. */
export const MIN_HELD_OUT_CHARS = 2000;

export interface SourceFile {
  /** Path relative to the workspace folder, with '/'. */
  rel: string;
  /** As the corpus reads it (UTF-8, no BOM, LF line ends). */
  text: string;
}

export interface Split {
  root: string;
  heldOut: SourceFile[];
  training: SourceFile[];
}

/** rxjs's src/ folder, fetched and extracted under cacheDir on first use. */
export function rxjsSources(cacheDir: string): string {
  const dir = path.join(cacheDir, RXJS_PACKAGE.replace('@', '-'));
  const src = path.join(dir, 'package', 'src');
  const done = path.join(dir, '.extracted');
  if (fs.existsSync(done)) return src;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const pack = spawnSync('npm', ['pack', RXJS_PACKAGE, '--pack-destination', dir, '--silent'], { encoding: 'utf8', shell: process.platform === 'win32' });
  const tarball = pack.status === 0 ? pack.stdout.trim().split('\n').pop() : undefined;
  if (!tarball || !fs.existsSync(path.join(dir, tarball))) {
    throw new CharmError(`npm pack ${RXJS_PACKAGE} failed (network?): ${(pack.stderr || pack.error?.message || '').trim().split('\n').pop() ?? ''}`);
  }
  const tar = spawnSync('tar', ['-xzf', tarball], { cwd: dir, encoding: 'utf8' });
  if (tar.status !== 0 || !fs.existsSync(src)) throw new CharmError(`could not extract ${tarball}: ${(tar.stderr || tar.error?.message || '').trim()}`);
  fs.writeFileSync(done, '');
  return src;
}

/** The files of `root` the training corpus rules pick, optionally only those `keep` accepts. */
export async function readWorkspace(root: string, keep: (rel: string) => boolean = () => true): Promise<SourceFile[]> {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new CharmError(`--workspace: no such folder: ${root}`);
  const separator = '\n\n';
  const corpus = await buildCorpus([root], { separator });
  if (corpus.skipped.some((s) => s.reason === 'limit')) throw new CharmError(`${root} is over the corpus size limit; pick a smaller folder`);
  const out: SourceFile[] = [];
  let at = 0;
  // The corpus text is its files' texts joined by the separator, in the order of `files`.
  for (const f of corpus.files) {
    const rel = path.relative(root, f.path).split(path.sep).join('/');
    if (keep(rel)) out.push({ rel, text: corpus.text.slice(at, at + f.chars) });
    at += f.chars + separator.length;
  }
  if (out.length === 0) throw new CharmError(`no files to use in ${root}`);
  return out;
}

/** Held-out files: the named ones, or `count` picked with `seed` among files of MIN_HELD_OUT_CHARS or more. */
export function splitWorkspace(root: string, files: readonly SourceFile[], pick: { heldOut?: readonly string[]; count: number; seed: number }): Split {
  let heldOut: SourceFile[];
  if (pick.heldOut) {
    heldOut = pick.heldOut.map((name) => {
      const rel = name.split(path.sep).join('/').replace(/^\.\//, '');
      const f = files.find((x) => x.rel === rel);
      if (!f) throw new CharmError(`--held-out ${name}: not a file of ${root} that the corpus rules read`);
      return f;
    });
  } else {
    const candidates = files.filter((f) => f.text.length >= MIN_HELD_OUT_CHARS).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    if (candidates.length < pick.count)
      throw new CharmError(`only ${candidates.length} files of ${MIN_HELD_OUT_CHARS}+ chars in ${root}; lower --held-out-count`);
    heldOut = new SeededRandom(pick.seed).shuffle(candidates).slice(0, pick.count);
  }
  const held = new Set(heldOut.map((f) => f.rel));
  const training = files.filter((f) => !held.has(f.rel));
  if (training.length === 0) throw new CharmError('every file is held out: nothing left to train on');
  return { root, heldOut, training };
}

/** A short hash of everything that decides what the model learns. */
export function splitKey(split: Split, extra: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of [...split.training, ...split.heldOut]) h.update(`${f.rel}\u0000${f.text}\u0000`);
  h.update(`held-out\u0000${split.heldOut.map((f) => f.rel).join('\u0000')}\u0000`);
  for (const e of extra) h.update(`${e}\u0000`);
  return h.digest('hex').slice(0, 16);
}

/** Writes the training files (only) into `dir`, keeping their relative paths; reused when complete. */
export function writeTrainingFolder(split: Split, dir: string): void {
  const done = path.join(path.dirname(dir), `${path.basename(dir)}.complete`);
  if (fs.existsSync(done) && fs.existsSync(dir)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of split.training) {
    const file = path.join(dir, ...f.rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.text);
  }
  fs.writeFileSync(done, '');
}
