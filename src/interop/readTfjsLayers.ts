/**
 * TensorFlow.js layers models: model.json (modelTopology, a Keras config, and weightsManifest)
 * and its weight shards, as tfjs' model.save and tensorflowjs_converter write them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../errors';
import { parseKerasModelConfig } from './kerasConfig';
import type { FileWeight } from './layerMapping';
import type { ModelFile } from './modelFile';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: unknown;
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CharmError(`Cannot read ${file}: the file does not exist or is unreadable`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CharmError(`${file} is not valid JSON (truncated or not a tfjs-layers model.json)`);
  }
}

/** Reads `model.json` (or a folder holding one) and its shards. */
export function readTfjsLayers(target: string): ModelFile {
  const file = fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'model.json') : target;
  const json = readJsonFile(file) as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new CharmError(`${file} is not a tfjs-layers model.json (it needs modelTopology and weightsManifest)`);
  }
  const layers = parseKerasModelConfig(json.modelTopology, file);
  const weights: FileWeight[] = [];
  for (const group of json.weightsManifest as { paths: string[]; weights: ManifestEntry[] }[]) {
    const shards = group.paths.map((p) => {
      const shard = path.join(path.dirname(file), p);
      try {
        return fs.readFileSync(shard);
      } catch {
        throw new CharmError(`${file} needs the weights file ${p}, which is missing (${shard})`);
      }
    });
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const entry of group.weights) {
      if (entry.quantization || (entry.dtype ?? 'float32') !== 'float32') {
        throw new CharmError(`${file}: weight ${entry.name} is ${entry.quantization ? 'quantized' : entry.dtype}; Charm imports float32 weights`);
      }
      const count = entry.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * count > bytes.byteLength) {
        throw new CharmError(`${file}: the weights files hold ${bytes.byteLength} bytes, fewer than the manifest needs; they are truncated`);
      }
      // Copied: a Buffer's offset in its pool need not be a multiple of 4.
      const data = new Float32Array(new Uint8Array(bytes.subarray(offset, offset + 4 * count)).buffer);
      weights.push({ name: entry.name, shape: entry.shape, data });
      offset += 4 * count;
    }
  }
  const topology = json.modelTopology as Record<string, unknown>;
  return {
    format: 'tfjs-layers',
    kerasVersion: typeof topology.keras_version === 'string' ? topology.keras_version : undefined,
    layers,
    // tfjs names a weight `<layer name>/<weight>` (converted Keras models: `<layer>/<cell>/<weight>`,
    // or with the model's name in front).
    weightsOf: (layer) => {
      const own = weights.filter((w) => w.name.startsWith(`${layer.name}/`));
      return own.length ? own : weights.filter((w) => w.name.includes(`/${layer.name}/`));
    },
  };
}
