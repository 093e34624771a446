/**
 * One writer per checkpoint folder: a lock (proper-lockfile) on the --out root, held for the whole
 * training run, and an owner file beside it naming the process, so a second run can say who holds
 * it. A lock whose owner process is gone (kill -9, a crash, a power cut) is taken over at once;
 * proper-lockfile's own mtime staleness covers a holder on another machine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { CharmError } from '../errors';
import { processIsAlive } from '../util/processAlive';

export const LOCK_NAME = '.charm-lock';
export const LOCK_OWNER_NAME = '.charm-lock-owner.json';

/** A live holder refreshes the lock's mtime every UPDATE_MS; with no refresh for STALE_MS it is dead. Long: an evaluation may block the event loop. */
const STALE_MS = 120_000;
const UPDATE_MS = 10_000;
/** A lock without an owner file this old was left by a crash between the two writes. */
const OWNERLESS_STALE_MS = 30_000;

export interface LockOwner {
  pid: number;
  command: string;
  startedAt: string;
  host: string;
}

export interface CheckpointLock {
  release(): Promise<void>;
}

/** Roots locked by this process: an owner file with our pid is ours only if listed here (else the pid was reused). */
const heldHere = new Set<string>();

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return undefined;
    return { pid: owner.pid, command: String(owner.command ?? 'unknown command'), startedAt: String(owner.startedAt ?? ''), host: owner.host };
  } catch {
    return undefined;
  }
}

function isAbandoned(root: string, owner: LockOwner | undefined, lockDir: string): boolean {
  if (owner) {
    if (owner.host !== os.hostname()) return false;
    return owner.pid === process.pid ? !heldHere.has(root) : !processIsAlive(owner.pid);
  }
  try {
    return Date.now() - fs.statSync(lockDir).mtimeMs > OWNERLESS_STALE_MS;
  } catch {
    return true;
  }
}

/** "10:02" today, else "2024-05-01 10:02". */
function clockTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return 'at an unknown time';
  const hm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  const today = new Date().toDateString() === at.toDateString();
  return today ? hm : `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')} ${hm}`;
}

function heldBy(root: string, owner: LockOwner | undefined): CharmError {
  const who = owner
    ? `pid ${owner.pid}${owner.host !== os.hostname() ? ` on ${owner.host}` : ''}, ${owner.command}, started ${clockTime(owner.startedAt)}`
    : 'a process that did not say who it is';
  return new CharmError(`${root} is being written by another training (${who}); wait for it or stop it`);
}

/**
 * Takes the lock on `root` (which must exist) or throws a CharmError naming the holder.
 * `command` describes this process for others; `onLost` hears if the lock is taken away.
 */
export async function lockCheckpointFolder(root: string, command: string, onLost: (message: string) => void = () => undefined): Promise<CheckpointLock> {
  const lockDir = path.join(root, LOCK_NAME);
  const ownerFile = path.join(root, LOCK_OWNER_NAME);
  const options: lockfile.LockOptions = {
    lockfilePath: lockDir,
    realpath: false,
    retries: 0,
    stale: STALE_MS,
    update: UPDATE_MS,
    onCompromised: (error) => onLost(`the lock on ${root} was lost (${error.message}); another process may write there too`),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(root, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const owner = readOwner(ownerFile);
    if (!isAbandoned(root, owner, lockDir)) throw heldBy(root, owner);
    fs.rmSync(lockDir, { recursive: true, force: true });
    try {
      release = await lockfile.lock(root, options);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'ELOCKED') throw again;
      throw heldBy(root, readOwner(ownerFile));
    }
  }
  const owner: LockOwner = { pid: process.pid, command, startedAt: new Date().toISOString(), host: os.hostname() };
  fs.writeFileSync(ownerFile, JSON.stringify(owner));
  heldHere.add(root);
  // proper-lockfile removes its lock folder when the process exits; the owner file goes with it.
  const removeOwner = () => {
    if (readOwner(ownerFile)?.pid === process.pid) fs.rmSync(ownerFile, { force: true });
  };
  process.on('exit', removeOwner);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      heldHere.delete(root);
      process.off('exit', removeOwner);
      removeOwner();
      await release().catch(() => undefined);
    },
  };
}
