/**
 * The file operations of a checkpoint save, as one seam: tests inject faults through it (ENOSPC,
 * EACCES on a chosen operation), and its `stage` hook lets the fault-injection suite land a kill -9
 * at a chosen point of a save (env-gated; a no-op otherwise).
 */
import * as fs from 'node:fs';

/** Points of a save: temp folder complete; old folder moved to .prev; new one renamed into place; save finished. */
export type SaveStage = 'written' | 'moved-old' | 'renamed' | 'saved';

export interface CheckpointIo {
  mkdir(dir: string): Promise<void>;
  /** Writes and fsyncs. */
  writeFile(file: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or folder; nothing there is fine. */
  remove(target: string): Promise<void>;
  stage(kind: string, stage: SaveStage): Promise<void>;
}

async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.promises.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Test hook: with CHARM_TEST_SAVE_STAGES=1 each stage is announced on stderr as
 * "charm-test-save-stage <kind> <stage>" and followed by a pause of CHARM_TEST_SAVE_DELAY_MS.
 */
async function announceStage(kind: string, stage: SaveStage): Promise<void> {
  if (process.env.CHARM_TEST_SAVE_STAGES !== '1') return;
  process.stderr.write(`charm-test-save-stage ${kind} ${stage}\n`);
  const delay = Number(process.env.CHARM_TEST_SAVE_DELAY_MS ?? 0);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

export const fileSystemIo: CheckpointIo = {
  mkdir: async (dir) => {
    await fs.promises.mkdir(dir);
  },
  writeFile: writeFileSynced,
  rename: (from, to) => fs.promises.rename(from, to),
  remove: (target) => fs.promises.rm(target, { recursive: true, force: true }),
  stage: announceStage,
};
