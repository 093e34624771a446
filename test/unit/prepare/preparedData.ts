/** Reading a prepared folder back in tests: the manifest and the ids of each part. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PreparedManifest } from '../../../src/training/preparedFormat';

export function readManifest(dir: string): PreparedManifest {
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as PreparedManifest;
}

/** The ids of train.bin or val.bin, decoded as the manifest's little-endian dtype. */
export function readIds(dir: string, part: 'train' | 'val'): Int32Array {
  const m = readManifest(dir);
  const bytes = fs.readFileSync(path.join(dir, m[part].file));
  const width = m.dtype === 'uint16' ? 2 : 4;
  const ids = new Int32Array(bytes.length / width);
  for (let i = 0; i < ids.length; i++) ids[i] = width === 2 ? bytes.readUInt16LE(i * 2) : bytes.readUInt32LE(i * 4);
  return ids;
}

/** Every file of `dir` by name, for byte-for-byte comparisons. */
export function folderBytes(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const name of fs.readdirSync(dir).sort()) files[name] = fs.readFileSync(path.join(dir, name));
  return files;
}
