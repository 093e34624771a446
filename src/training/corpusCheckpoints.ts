/**
 * Recognises Charm checkpoint folders (and `charm prepare`'s output folders) by their files, whatever they are named and wherever they
 * lie, so that training never reads a model as text (`charm train .` with the default
 * `--out ./charm-model` inside the folder would otherwise read its own checkpoints, see new
 * characters on every resume and turn it into a fine-tune).
 */
import { promises as fsp } from 'node:fs';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT } from './checkpoint';
import { MANIFEST_FILE, PREPARED_FORMAT, PREPARE_TEMP_NAME } from './preparedFormat';

/** Folders a checkpoint root holds (see saveCheckpoint): the two kinds and their swap leftovers. */
const CHECKPOINT_CHILDREN: ReadonlySet<string> = new Set(['best', 'latest', 'best.prev', 'latest.prev']);
/** A checkpoint being written: `.best.tmp-<pid>-<hex>`; config.json comes last, so it may lack one. */
const TEMP_CHILD = /^\.(?:best|latest)\.tmp-/;
/** Files only a checkpoint writes; one of them marks a temporary folder as a checkpoint's. */
const CHECKPOINT_FILES: ReadonlySet<string> = new Set(['weights.bin', 'weights.json', 'optimizer.bin', 'vocab.json', 'config.json']);
/** A config.json larger than this is not read to check it (a checkpoint's is a few hundred KB at most). */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;

/**
 * Whether `dir`, whose entries are given, is a checkpoint folder (config.json with the Charm
 * checkpoint format) or a checkpoint root (holding best/, latest/, their .prev or temporary
 * folders, of such).
 */
export async function isCheckpointFolder(dir: string, entries: readonly Dirent[]): Promise<boolean> {
  if (entries.some((e) => e.name === 'config.json' && e.isFile()) && (await hasCheckpointConfig(dir))) return true;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const child = path.join(dir, e.name);
    if (CHECKPOINT_CHILDREN.has(e.name) && (await hasCheckpointConfig(child))) return true;
    if (TEMP_CHILD.test(e.name) && (await holdsCheckpointFiles(child))) return true;
  }
  return false;
}

/** The same, reading the entries: for a file named on its own, whose folder was not walked. */
export async function isCheckpointFolderAt(dir: string): Promise<boolean> {
  try {
    return await isCheckpointFolder(dir, await fsp.readdir(dir, { withFileTypes: true }));
  } catch {
    return false;
  }
}

/**
 * Whether `dir` is a prepared-data folder (manifest.json of format charm-prepared) or one being
 * written: its ids and vocabulary are Charm's output, not text to learn.
 */
export async function isPreparedFolder(dir: string, entries: readonly Dirent[]): Promise<boolean> {
  if (PREPARE_TEMP_NAME.test(path.basename(dir))) return true;
  return entries.some((e) => e.name === MANIFEST_FILE && e.isFile()) && (await hasFormatMarker(path.join(dir, MANIFEST_FILE), PREPARED_FORMAT));
}

/** The same, reading the entries: for a file named on its own. */
export async function isPreparedFolderAt(dir: string): Promise<boolean> {
  try {
    return await isPreparedFolder(dir, await fsp.readdir(dir, { withFileTypes: true }));
  } catch {
    return false;
  }
}

function hasCheckpointConfig(dir: string): Promise<boolean> {
  return hasFormatMarker(path.join(dir, 'config.json'), CHECKPOINT_FORMAT);
}

/** Whether the JSON `file` has `"format": <format>` (or, damaged, starts with it: both writers put it first). */
async function hasFormatMarker(file: string, format: string): Promise<boolean> {
  let text: string;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return false;
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return false;
  }
  if (!text.includes(format)) return false;
  try {
    const config: unknown = JSON.parse(text);
    return typeof config === 'object' && config !== null && 'format' in config && config.format === format;
  } catch {
    return new RegExp(`^\\s*\\{\\s*"format"\\s*:\\s*${JSON.stringify(format)}`).test(text);
  }
}

async function holdsCheckpointFiles(dir: string): Promise<boolean> {
  try {
    const names = await fsp.readdir(dir);
    return names.some((n) => CHECKPOINT_FILES.has(n));
  } catch {
    return false;
  }
}
