/**
 * The benchmark's model: the default preset trained with the bundled CLI on the training folder
 * only, cached under the split's key (reused by later runs unless --retrain).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../../src/errors';
import { hasModel } from '../../src/extension/modelStore';
import type { BackendChoice } from '../../src/accel';
import { buildCorpus } from '../../src/training/corpus';

export interface TrainRequest {
  root: string;
  trainDir: string;
  /** Files trainDir must hold, checked before training (the corpus rules must not skip any). */
  expectedFiles: number;
  modelDir: string;
  preset: string;
  seconds: number;
  backend: BackendChoice;
  retrain: boolean;
}

/** The model folder, trained first if needed. */
export async function ensureModel(r: TrainRequest): Promise<{ modelDir: string; trained: boolean }> {
  if (!r.retrain && hasModel(r.modelDir)) return { modelDir: r.modelDir, trained: false };
  const corpus = await buildCorpus([r.trainDir]);
  if (corpus.files.length !== r.expectedFiles) {
    throw new CharmError(`the training folder ${r.trainDir} yields ${corpus.files.length} files to the corpus rules, not ${r.expectedFiles}`);
  }
  fs.rmSync(r.modelDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(r.modelDir), { recursive: true });
  const args = [
    path.join(r.root, 'bin', 'charm.js'),
    'train',
    r.trainDir,
    '--out',
    r.modelDir,
    '--preset',
    r.preset,
    '--max-seconds',
    String(r.seconds),
    '--backend',
    r.backend,
  ];
  process.stderr.write(`Training: node ${args.join(' ')}\n`);
  const run = spawnSync(process.execPath, args, { cwd: r.root, stdio: 'inherit' });
  if (run.status !== 0 || !hasModel(r.modelDir)) throw new CharmError(`charm train failed (exit ${run.status ?? run.signal})`);
  return { modelDir: r.modelDir, trained: true };
}
