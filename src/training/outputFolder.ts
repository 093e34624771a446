/**
 * The checkpoint root as a place to write: checked before training (so a bad --out fails at once,
 * not after the whole budget), and file-system errors at save time put in words.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../errors';

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
  ENOENT: 'the folder disappeared',
  ENOTEMPTY: 'a folder in the way is not empty',
  EIO: 'input/output error',
};

export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** "no space left on device (ENOSPC)"; the error's own message for codes without words. */
function describeErrno(error: unknown): string {
  const code = errnoCode(error);
  if (code && ERRNO_WORDS[code]) return `${ERRNO_WORDS[code]} (${code})`;
  return (error as Error | undefined)?.message ?? String(error);
}

/**
 * Creates `out` if needed and writes and removes a probe file in it. Returns whether the folder
 * was created here (so a run that fails before saving can remove it again).
 */
export function ensureWritableFolder(out: string): boolean {
  let created = false;
  try {
    if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
      throw Object.assign(new Error('not a folder'), { code: 'EEXIST' });
    }
    created = fs.mkdirSync(out, { recursive: true }) !== undefined;
    const probe = path.join(out, `.charm-write-probe-${process.pid}`);
    fs.writeFileSync(probe, 'probe');
    fs.rmSync(probe, { force: true });
    return created;
  } catch (error) {
    if (created) fs.rmSync(out, { recursive: true, force: true });
    if (!errnoCode(error)) throw error;
    throw new CharmError(`Cannot write checkpoints to ${out}: ${describeErrno(error)}; choose another --out`);
  }
}

/** Removes `out` if this run created it and left nothing in it. */
export function removeIfEmpty(out: string): void {
  try {
    fs.rmdirSync(out);
  } catch {
    // Not empty or already gone: keep it.
  }
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? `${Math.round(mb)} MB` : mb >= 0.1 ? `${mb.toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** The message for a failed save: the folder, the errno in words, what was kept and the space needed. */
export function saveFailure(error: unknown, folder: string, checkpointBytes: number): CharmError {
  const space =
    errnoCode(error) === 'ENOSPC' || errnoCode(error) === 'EDQUOT'
      ? ` Saving needs about twice the checkpoint's size free (about ${megabytes(2 * checkpointBytes)} for ${megabytes(checkpointBytes)}): the new copy is written before the old one is removed.`
      : '';
  return new CharmError(`Could not save the checkpoint in ${folder}: ${describeErrno(error)}; the previous checkpoint was kept.${space}`);
}
