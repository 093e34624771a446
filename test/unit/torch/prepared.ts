/**
 * Test helpers for the PyTorch trainer: a prepared-data folder (the contract of `charm prepare`) and
 * running python/charm_torch under Debian's torch.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Vocabulary } from '../../../src/training/vocabulary';

export const PYTHON = '/usr/bin/python3';
export const TORCHRUN = '/usr/bin/torchrun';
export const TRAIN_PY = path.resolve(__dirname, '../../../python/charm_torch/train.py');
const DUMP_LOGITS_PY = path.resolve(__dirname, '../../../python/charm_torch/dump_logits.py');
const CHARM = path.resolve(__dirname, '../../../bin/charm.js');

/** Fails (never skips) when torch cannot be imported: CI must install python3-torch. */
export function requireTorch(): void {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `PyTorch is not importable by ${PYTHON}: install Debian's python3-torch (apt-get install python3-torch).\n${r.stderr}`);
}

/**
 * Writes `text` as a prepared-data folder with `charm prepare` (the bundled CLI: `npm test` builds it
 * first). uint32 ids, which prepare writes only for vocabularies of over 65,536 symbols, are written
 * here by hand to the same contract, so the trainer's uint32 path is tested on a small corpus.
 */
export function writePreparedData(dir: string, text: string, valFraction = 0.1, dtype: 'uint16' | 'uint32' = 'uint16'): Vocabulary {
  const source = fs.mkdtempSync(path.join(path.dirname(dir), 'text-'));
  fs.writeFileSync(path.join(source, 'corpus.txt'), text);
  const r = spawnSync(process.execPath, [CHARM, 'prepare', path.join(source, 'corpus.txt'), '--out', dir, '--val-fraction', String(valFraction)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  fs.rmSync(source, { recursive: true, force: true });
  assert.equal(r.status, 0, `charm prepare failed:\n${r.stderr}`);
  const vocab = Vocabulary.fromJSON(JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8')));
  if (dtype === 'uint32') widenIds(dir);
  return vocab;
}

/** Rewrites a prepared folder's uint16 ids as uint32, with its manifest's dtype and checksums. */
function widenIds(dir: string): void {
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { dtype: string; sha256: Record<string, string> };
  for (const name of ['train.bin', 'val.bin']) {
    const bytes = fs.readFileSync(path.join(dir, name));
    const wide = Uint32Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2));
    fs.writeFileSync(path.join(dir, name), Buffer.from(wide.buffer));
    manifest.sha256[name] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, name)))
      .digest('hex');
  }
  manifest.dtype = 'uint32';
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 1));
}

/** The environment for python: no bytecode files in the repository. */
export function pythonEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/**
 * torchrun's arguments for `nproc` processes of train.py. --standalone picks a free rendezvous port
 * (tests of other suites may run beside); --monitor_interval 1 notices a finished or dead worker
 * within a second. --redirects 1 --tee 1: Debian's torch 1.13 on Python 3.11 cannot parse
 * torchrun's default "0" for them (Std.from_str returns None, an enum change in 3.11).
 */
export function torchrunArgs(nproc: number, logDir: string, args: string[]): string[] {
  return [
    '--standalone',
    '--nproc_per_node',
    String(nproc),
    '--monitor_interval',
    '1',
    '--redirects',
    '1',
    '--tee',
    '1',
    '--log_dir',
    logDir,
    TRAIN_PY,
    ...args,
  ];
}

export interface RankDebug {
  phase: 'started' | 'finished';
  pid: number;
  rank: number;
  world: number;
  steps: number;
  step: number;
  optimizerStep: number;
  weightsSha256: string;
  resumedOptimizerSha256: string | null;
  wrote: string[];
}

/** What rank `rank` wrote into its --debug folder. */
export function readRankDebug(debugDir: string, rank: number): RankDebug {
  return JSON.parse(fs.readFileSync(path.join(debugDir, `rank${rank}.json`), 'utf8')) as RankDebug;
}

/** PyTorch's logits [T * B][V] for `ids` from the checkpoint in `dir` (best/ first, as Charm's loader). */
export function torchLogits(dir: string, ids: number[][]): number[][] {
  const r = spawnSync(PYTHON, [DUMP_LOGITS_PY, dir, JSON.stringify(ids)], { encoding: 'utf8', env: pythonEnv(), timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as number[][];
}

/** Polls `ready` every 200 ms; throws after `ms`. */
export async function waitFor(what: string, ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
