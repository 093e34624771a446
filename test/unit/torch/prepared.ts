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

/** Fails (never skips) when torch cannot be imported: CI must install python3-torch. */
export function requireTorch(): void {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `PyTorch is not importable by ${PYTHON}: install Debian's python3-torch (apt-get install python3-torch).\n${r.stderr}`);
}

/**
 * Writes `text` as a prepared-data folder, as `charm prepare` would (little-endian ids, the validation part
 * taken from the end). The one stand-in for `charm prepare` in these tests: replace its body by a
 * call to the command once it exists.
 */
export function writePreparedData(dir: string, text: string, valFraction = 0.1, dtype: 'uint16' | 'uint32' = 'uint16'): Vocabulary {
  fs.mkdirSync(dir, { recursive: true });
  const vocab = Vocabulary.build(text);
  const ids = vocab.encode(text);
  const valLength = Math.floor(ids.length * valFraction);
  const parts = { train: ids.subarray(0, ids.length - valLength), val: ids.subarray(ids.length - valLength) };
  for (const [name, part] of Object.entries(parts)) {
    const ids = dtype === 'uint16' ? Uint16Array.from(part) : Uint32Array.from(part);
    fs.writeFileSync(path.join(dir, `${name}.bin`), Buffer.from(ids.buffer));
  }
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(vocab.toJSON()));
  const manifest = {
    format: 'charm-prepared',
    version: 1,
    dtype,
    vocabulary: 'vocab.json',
    vocabularySize: vocab.size,
    train: { file: 'train.bin', tokens: parts.train.length },
    val: { file: 'val.bin', tokens: parts.val.length },
    valFraction,
    seed: 1,
    corpus: { sources: [dir], files: 1, chars: ids.length, trainChars: parts.train.length, valChars: parts.val.length, unknownChars: 0 },
    sha256: Object.fromEntries(
      ['train.bin', 'val.bin', 'vocab.json'].map((f) => [
        f,
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
    ),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return vocab;
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
