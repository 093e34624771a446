/**
 * Where a native TensorFlow backend (@tensorflow/tfjs-node or -gpu) installed into a folder of its
 * own lies: read by the engine (src/accel/nativeTfjs.ts), which loads it, and by the installer
 * (src/extension/native/), which must not load tfjs. No tfjs, no vscode here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder the trainer, inference and CLI processes load tfjs-node from, when set. */
export const NATIVE_MODULES_ENV = 'CHARM_NATIVE_MODULES';
export const TFJS_NODE = '@tensorflow/tfjs-node';
export type NativeVariant = 'cpu' | 'gpu';
/** The tfjs release the engine bundles: tfjs-node must be the same one. A test checks it against node_modules. */
export const TFJS_VERSION = '4.22.0';

export function nativePackageName(variant: NativeVariant): string {
  return variant === 'gpu' ? `${TFJS_NODE}-gpu` : TFJS_NODE;
}

/** Which tfjs-node package the folder holds (the -gpu one when both are there). */
export function nativePackageIn(folder: string): { name: string; dir: string; version: string } | undefined {
  for (const name of [nativePackageName('gpu'), nativePackageName('cpu')]) {
    const dir = path.join(folder, 'node_modules', name);
    try {
      const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
      return { name, dir, version: typeof version === 'string' ? version : 'unknown version' };
    } catch {
      // not there (or unreadable): try the next
    }
  }
  return undefined;
}
