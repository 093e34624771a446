/**
 * `charm import`: a Keras (.h5, .keras) or tfjs-layers model -> a Charm checkpoint root with best/
 * and latest/ (no optimizer state), written through saveCheckpoint into a temporary root that is
 * renamed into place: a failed import leaves nothing behind, never half a model.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CharmError } from '../errors';
import { CharModel } from '../model/charModel';
import { CheckpointMeta, freshProgress, ImportSource, saveCheckpoint } from '../training/checkpoint';
import type { Vocabulary } from '../training/vocabulary';
import { mapKerasLayers } from './layerMapping';
import { isKeras3, ModelFile } from './modelFile';
import { readKerasH5 } from './readKerasH5';
import { readKerasZip } from './readKerasZip';
import { readTfjsLayers } from './readTfjsLayers';
import { readVocabulary, VocabularySource, withUnknownFirst } from './vocabularyFile';

export interface ImportRequest {
  /** A .h5, a .keras, a tfjs-layers model.json or the folder holding it. */
  file: string;
  /** The checkpoint root to create (absent or empty). */
  out: string;
  vocabulary: VocabularySource;
}

export interface ImportResult {
  root: string;
  meta: CheckpointMeta;
  vocab: Vocabulary;
}

/** The file's format, from its first bytes (a folder: tfjs-layers). */
function readModelFile(file: string): Promise<ModelFile> {
  const head = Buffer.alloc(8);
  let directory: boolean;
  try {
    directory = fs.statSync(file).isDirectory();
    if (!directory) {
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, head, 0, 8, 0);
      fs.closeSync(fd);
    }
  } catch {
    throw new CharmError(`Cannot read ${file}: the file does not exist or is unreadable`);
  }
  if (directory) return Promise.resolve(readTfjsLayers(file));
  if (head[0] === 0x89 && head.subarray(1, 4).toString('latin1') === 'HDF') return readKerasH5(file);
  if (head.subarray(0, 2).toString('latin1') === 'PK') return readKerasZip(file);
  if (head.toString('utf8').trimStart().startsWith('{')) return Promise.resolve(readTfjsLayers(file));
  if (file.endsWith('.keras')) return readKerasZip(file);
  throw new CharmError(`${file} is not a model Charm imports: expected a Keras .h5 or .keras file, or a tfjs-layers model.json`);
}

function checkOut(out: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CharmError(`--out ${out} is not a folder Charm can write to`);
  }
  if (entries.length > 0) throw new CharmError(`--out ${out} is not empty: import into a new folder`);
}

export async function importModel(request: ImportRequest): Promise<ImportResult> {
  const file = path.resolve(request.file);
  const out = path.resolve(request.out);
  checkOut(out);
  let vocab = readVocabulary(request.vocabulary);
  const model = await readModelFile(file);
  const mapped = mapKerasLayers(model.layers, (layer) => model.weightsOf(layer), {
    file,
    keras3: model.format !== 'tfjs-layers' && isKeras3(model.kerasVersion),
  });
  if (request.vocabulary.kind === 'from-text' && vocab.unknownId === null && vocab.size + 1 === mapped.config.vocabSize) vocab = withUnknownFirst(vocab);
  if (vocab.size !== mapped.config.vocabSize) {
    throw new CharmError(
      `The vocabulary has ${vocab.size} symbols but the model's input and output have ${mapped.config.vocabSize}: give the vocabulary the model was trained with`,
    );
  }
  const source: ImportSource = {
    format: model.format,
    file,
    importedAt: new Date().toISOString(),
    ...(model.kerasVersion ? { kerasVersion: model.kerasVersion } : {}),
    ...(mapped.windowLength ? { windowLength: mapped.windowLength } : {}),
    outputActivation: mapped.outputActivation,
    vocabulary: request.vocabulary.kind,
  };
  const meta: CheckpointMeta = {
    model: mapped.config,
    training: {},
    corpus: { sources: [file], files: 0, chars: 0, trainChars: 0, valChars: 0, unknownChars: 0 },
    progress: freshProgress(),
    history: { train: [], val: [] },
    backend: tf.getBackend(),
    savedAt: source.importedAt,
    source,
  };
  const tensors = new Map([...mapped.weights].map(([name, w]) => [name, tf.tensor(w.data, w.shape, 'float32')]));
  let charm: CharModel | undefined;
  const temp = `${out}.import-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    charm = CharModel.fromTensors(mapped.config, tensors);
    for (const kind of ['best', 'latest'] as const) await saveCheckpoint(temp, kind, { model: charm, vocab, meta });
    // An empty folder is replaced by the rename; checkOut refused any other.
    await fs.promises.rename(temp, out);
  } catch (error) {
    await fs.promises.rm(temp, { recursive: true, force: true });
    throw error;
  } finally {
    for (const t of tensors.values()) t.dispose();
    charm?.dispose();
  }
  return { root: out, meta, vocab };
}
