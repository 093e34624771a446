/**
 * `charm export`: a Charm checkpoint -> a model TensorFlow.js or Keras loads, with Keras' names
 * and layouts (Charm's weights are in them already), plus the vocabulary as a JSON list beside it
 * (those formats carry none; `charm import --vocab` reads it back). Written under a temporary
 * name and renamed into place.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CharmError } from '../errors';
import { weightSpecs } from '../model/charModel';
import { loadCheckpoint } from '../training/checkpoint';
import type { Vocabulary } from '../training/vocabulary';
import { loadH5, quietly } from './h5';
import { EXPORT_KERAS_VERSION, KerasTopology, kerasTopology } from './kerasTopology';

export type ExportFormat = 'tfjs-layers' | 'keras-h5';

export interface ExportRequest {
  /** A checkpoint root or folder. */
  model: string;
  format: ExportFormat;
  /** tfjs-layers: a folder (model.json, weights.bin, vocab.json); keras-h5: the .h5 file (the vocabulary goes to <name>.vocab.json). */
  out: string;
}

export interface ExportResult {
  files: string[];
}

function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

function vocabularyJson(vocab: Vocabulary): string {
  // The unknown symbol is the empty string, as import reads it back.
  return JSON.stringify(vocab.toJSON().symbols);
}

/** The path of the vocabulary written beside an .h5. */
export function h5VocabularyPath(out: string): string {
  return `${out.replace(/\.h5$/i, '')}.vocab.json`;
}

async function writeTfjs(topology: KerasTopology, values: Float32Array[], shapes: number[][], vocab: Vocabulary, out: string): Promise<string[]> {
  const model = await tf.models.modelFromJSON({ modelTopology: topology.modelConfig } as tf.io.ModelJSON);
  try {
    const tensors = values.map((v, k) => tf.tensor(v, shapes[k], 'float32'));
    model.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const saved = artifacts as tf.io.ModelArtifacts;
    const json = {
      format: 'layers-model',
      generatedBy: saved.generatedBy,
      convertedBy: 'Charm',
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
    };
    const temp = tempName(out);
    try {
      fs.mkdirSync(temp);
      fs.writeFileSync(path.join(temp, 'model.json'), JSON.stringify(json));
      fs.writeFileSync(path.join(temp, 'weights.bin'), Buffer.from(saved.weightData as ArrayBuffer));
      fs.writeFileSync(path.join(temp, 'vocab.json'), vocabularyJson(vocab));
      if (fs.existsSync(out)) fs.rmdirSync(out); // empty: checked before
      fs.renameSync(temp, out);
    } catch (error) {
      fs.rmSync(temp, { recursive: true, force: true });
      throw error;
    }
    return ['model.json', 'weights.bin', 'vocab.json'].map((f) => path.join(out, f));
  } finally {
    model.dispose();
  }
}

/** Keras 2's HDF5 layout (hdf5_format.save_model_to_hdf5), which tf.keras and Keras 3 load. */
async function writeH5(topology: KerasTopology, values: Float32Array[], shapes: number[][], vocab: Vocabulary, out: string): Promise<string[]> {
  const h5 = await loadH5();
  const temp = tempName(out);
  const vocabFile = h5VocabularyPath(out);
  try {
    quietly(() => {
      const file = new h5.File(temp, 'w');
      try {
        file.create_attribute('keras_version', EXPORT_KERAS_VERSION);
        file.create_attribute('backend', 'tensorflow');
        file.create_attribute('model_config', JSON.stringify(topology.modelConfig));
        const weights = file.create_group('model_weights');
        weights.create_attribute(
          'layer_names',
          topology.layers.map((l) => l.name),
        );
        weights.create_attribute('backend', 'tensorflow');
        weights.create_attribute('keras_version', EXPORT_KERAS_VERSION);
        let k = 0;
        for (const layer of topology.layers) {
          const group = weights.create_group(layer.name);
          group.create_attribute('weight_names', layer.weightNames);
          for (const name of layer.weightNames) {
            // Each part of the name is a group: h5wasm, unlike h5py, makes no intermediate groups.
            const parts = name.split('/');
            let parent = group;
            for (const part of parts.slice(0, -1)) parent = (parent.get(part) as typeof group | null) ?? parent.create_group(part);
            parent.create_dataset({ name: parts[parts.length - 1], data: values[k], shape: shapes[k], dtype: '<f' });
            k++;
          }
        }
      } finally {
        file.close();
      }
    });
    fs.writeFileSync(`${temp}.vocab`, vocabularyJson(vocab));
    fs.renameSync(`${temp}.vocab`, vocabFile);
    fs.renameSync(temp, out);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    fs.rmSync(`${temp}.vocab`, { force: true });
    if (error instanceof CharmError) throw error;
    throw new CharmError(`Cannot write ${out}: ${(error as Error).message}`);
  }
  return [out, vocabFile];
}

function checkTarget(out: string, format: ExportFormat): void {
  if (!fs.existsSync(out)) return;
  if (format === 'tfjs-layers' && fs.statSync(out).isDirectory() && fs.readdirSync(out).length === 0) return;
  throw new CharmError(`--out ${out} already exists: export to a new ${format === 'tfjs-layers' ? 'folder' : 'file'}`);
}

export async function exportModel(request: ExportRequest): Promise<ExportResult> {
  const out = path.resolve(request.out);
  checkTarget(out, request.format);
  if (!fs.existsSync(path.dirname(out))) throw new CharmError(`Cannot write ${out}: the folder ${path.dirname(out)} does not exist`);
  const checkpoint = await loadCheckpoint(request.model);
  try {
    const topology = kerasTopology(checkpoint.model.config, request.format);
    const named = checkpoint.model.weightValues();
    const specs = weightSpecs(checkpoint.model.config);
    const values = specs.map((s) => named.get(s.name) as Float32Array);
    const shapes = specs.map((s) => s.shape);
    const files =
      request.format === 'tfjs-layers'
        ? await writeTfjs(topology, values, shapes, checkpoint.vocab, out)
        : await writeH5(topology, values, shapes, checkpoint.vocab, out);
    return { files };
  } finally {
    checkpoint.model.dispose();
  }
}
