/**
 * h5wasm, loaded once and quietly. h5wasm is ESM only and this code is compiled to CommonJS, whose
 * `import()` TypeScript turns into `require`: the import goes through a Function so Node's own
 * `import()` runs. The HDF5 library prints its error stack on stderr (fd 2, through fs.writeSync)
 * before h5wasm throws; those lines are dropped while our synchronous HDF5 calls run, and the
 * throw becomes one CharmError.
 */
import * as fs from 'node:fs';
import { CharmError } from '../errors';

/** The fs module object itself (what the ESM h5wasm calls), not an import's namespace copy. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the namespace of `import * as` is a read-only copy
const nodeFs = require('node:fs') as { writeSync: typeof fs.writeSync };

export type H5 = typeof import('h5wasm');
export type H5File = InstanceType<H5['File']>;
export type H5Group = InstanceType<H5['Group']>;
export type H5Dataset = InstanceType<H5['Dataset']>;

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body: Node's import() of an ESM package from CommonJS
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<H5>;

let loaded: Promise<H5> | undefined;

export function loadH5(): Promise<H5> {
  loaded ??= nativeImport('h5wasm/node').then(async (h5) => {
    await h5.ready;
    return h5;
  });
  return loaded;
}

/** Runs synchronous HDF5 calls with the library's diagnostics on stderr dropped. */
export function quietly<T>(fn: () => T): T {
  const writeSync = nodeFs.writeSync;
  const patched = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd === 2) return typeof data === 'string' ? Buffer.byteLength(data) : typeof rest[1] === 'number' ? rest[1] : data.byteLength;
    return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
  };
  nodeFs.writeSync = patched;
  try {
    return fn();
  } finally {
    nodeFs.writeSync = writeSync;
  }
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Opens an HDF5 file for reading; a missing, foreign or damaged file is a one-line CharmError. */
export async function openH5(file: string): Promise<H5File> {
  let head: Buffer;
  try {
    head = fs.readFileSync(file).subarray(0, 8);
  } catch {
    throw new CharmError(`Cannot read ${file}: the file does not exist or is unreadable`);
  }
  if (!head.equals(HDF5_SIGNATURE)) throw new CharmError(`${file} is not an HDF5 file (no HDF5 signature)`);
  const h5 = await loadH5();
  try {
    return quietly(() => new h5.File(file, 'r'));
  } catch {
    throw new CharmError(`${file} is a damaged HDF5 file (truncated or corrupted): HDF5 cannot open it`);
  }
}

/** A string attribute (h5py writes str or bytes); undefined when absent. */
export function stringAttribute(node: H5Group, name: string): string | undefined {
  const attr = quietly(() => node.attrs[name]);
  if (!attr) return undefined;
  const value = quietly(() => attr.value);
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

/** A list-of-strings attribute (layer_names, weight_names); [] when absent. */
export function stringListAttribute(node: H5Group, name: string): string[] {
  const attr = quietly(() => node.attrs[name]);
  if (!attr) return [];
  const value = quietly(() => attr.value);
  if (typeof value === 'string') return [value];
  if (Array.isArray(value))
    return value.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'string' ? v : JSON.stringify(v)));
  return [];
}
