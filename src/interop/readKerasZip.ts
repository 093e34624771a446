/**
 * Keras 3 `.keras` archives: a zip with config.json (the model config), metadata.json
 * (keras_version) and model.weights.h5, whose weights are stored by position, not name: a layer's
 * under `layers/<snake_case class name>[_<n>]/vars/<i>` (Keras 3's saving_lib names a list's items
 * by class, counting repeats: lstm, lstm_1), a recurrent layer's under `.../cell/vars/<i>`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSZip from 'jszip';
import { CharmError } from '../errors';
import { H5Dataset, H5Group, openH5, quietly } from './h5';
import { KerasLayer, parseKerasModelConfig } from './kerasConfig';
import type { FileWeight } from './layerMapping';
import type { ModelFile } from './modelFile';
import { readDataset } from './readKerasH5';

async function entry(zip: JSZip, name: string, file: string): Promise<Buffer> {
  const item = zip.file(name);
  if (!item) throw new CharmError(`${file} is not a Keras .keras archive: it has no ${name}`);
  try {
    return await item.async('nodebuffer');
  } catch {
    throw new CharmError(`${file}: ${name} in the archive is damaged (truncated or corrupted)`);
  }
}

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Each layer's key under `layers/`, as Keras 3 names a Sequential's layers (InputLayer is not one of them). */
function layerKeys(layers: KerasLayer[]): Map<KerasLayer, string> {
  const used = new Map<string, number>();
  const keys = new Map<KerasLayer, string>();
  for (const layer of layers) {
    if (layer.className === 'InputLayer') continue;
    const base = snakeCase(layer.wrapper ?? layer.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    keys.set(layer, n === undefined ? base : `${base}_${n + 1}`);
  }
  return keys;
}

/** The datasets under `group` in `vars` groups, depth first, each `vars` in index order. */
function collectVars(group: H5Group, prefix: string, file: string, out: FileWeight[]): void {
  const names = quietly(() => group.keys());
  if (names.includes('vars')) {
    const vars = quietly(() => group.get('vars')) as H5Group;
    const indices = quietly(() => vars.keys())
      .map(Number)
      .sort((a, b) => a - b);
    for (const i of indices) out.push(readDataset(quietly(() => vars.get(String(i))) as H5Dataset | null, file, `${prefix}vars/${i}`));
  }
  for (const name of names.filter((n) => n !== 'vars').sort()) {
    const child = quietly(() => group.get(name));
    // Groups have keys(); datasets outside a `vars` group are not weights.
    if (child && typeof (child as Partial<H5Group>).keys === 'function') collectVars(child as H5Group, `${prefix}${name}/`, file, out);
  }
}

export async function readKerasZip(file: string): Promise<ModelFile> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(fs.readFileSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw new CharmError(`Cannot read ${file}: the file does not exist or is unreadable`);
    throw new CharmError(`${file} is not a readable .keras archive (not a zip, or a truncated one)`);
  }
  const configText = (await entry(zip, 'config.json', file)).toString('utf8');
  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch {
    throw new CharmError(`${file}: config.json in the archive is not valid JSON`);
  }
  const layers = parseKerasModelConfig(config, file);
  let kerasVersion: string | undefined;
  const metadata = zip.file('metadata.json');
  if (metadata) {
    try {
      kerasVersion = (JSON.parse(await metadata.async('string')) as { keras_version?: string }).keras_version;
    } catch {
      // metadata.json only names the version; Keras 3 is assumed without it.
    }
  }
  const weightsBytes = await entry(zip, 'model.weights.h5', file);
  // h5wasm reads real files in Node: the weights go through a private temporary folder.
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'charm-keras-'));
  const weightsFile = path.join(temp, 'model.weights.h5');
  const weights = new Map<KerasLayer, FileWeight[]>();
  try {
    fs.writeFileSync(weightsFile, weightsBytes);
    const h5 = await openH5(weightsFile).catch(() => {
      throw new CharmError(`${file}: model.weights.h5 in the archive is not a readable HDF5 file (truncated or corrupted)`);
    });
    try {
      const root = quietly(() => h5.get('layers')) as H5Group | null;
      const keys = layerKeys(layers);
      for (const layer of layers) {
        const key = keys.get(layer);
        const node = root && key ? ((quietly(() => root.get(key)) ?? quietly(() => root.get(layer.name))) as H5Group | null) : null;
        const found: FileWeight[] = [];
        if (node) collectVars(node, `layers/${key}/`, file, found);
        weights.set(layer, found);
      }
    } catch (error) {
      if (error instanceof CharmError) throw error;
      throw new CharmError(`${file}: model.weights.h5 in the archive is damaged (truncated or corrupted)`);
    } finally {
      quietly(() => h5.close());
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return { format: 'keras', kerasVersion: kerasVersion ?? '3', layers, weightsOf: (layer) => weights.get(layer) ?? [] };
}
