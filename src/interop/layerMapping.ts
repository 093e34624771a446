/**
 * Keras layers -> a Charm ModelConfig and Charm-named weights. Charm's model is Embedding ->
 * stacked recurrent layers of one kind and size -> Dense producing logits, in Keras' weight
 * layouts, so the mapping checks the chain and copies weights; everything else is a clear error.
 */
import { CharmError } from '../errors';
import type { CellName } from '../model/cells';
import { weightSpecs } from '../model/charModel';
import type { ModelConfig } from '../model/config';
import type { KerasLayer } from './kerasConfig';

/** A weight as a file holds it: its name there (e.g. `lstm/lstm_cell/kernel:0`, or `vars/0`), shape and values. */
export interface FileWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface MappedModel {
  config: ModelConfig;
  /** By Charm's weight name (weightSpecs order). */
  weights: Map<string, FileWeight>;
  /** The input length of a many-to-one model, when the file says. */
  windowLength?: number;
  outputActivation: 'linear' | 'softmax';
}

export interface MappingOptions {
  file: string;
  /** Keras 3 means hard_sigmoid is x / 6 + 0.5 clipped (Keras 2 and tfjs-layers: 0.2 x + 0.5). */
  keras3: boolean;
}

const SUPPORTED =
  'Charm imports Embedding, LSTM, GRU (stacked layers of one kind and size), Dense (linear or softmax, also inside TimeDistributed), Dropout and InputLayer';
const IGNORED = new Set(['InputLayer', 'Dropout']);
const RECURRENT = new Set(['LSTM', 'GRU']);
/** The GRU with reset_after false (the cells branch adds this cell; until then it is an unknown cell). */
const GRU_RESET_BEFORE: CellName = 'gru-reset-before';

type Config = Record<string, unknown>;

function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** An activation as configs write it: a name (tfjs: camelCase), or Keras 3's serialized object. */
function activationName(value: unknown): string {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return snakeCase(value);
  if (typeof value === 'object') {
    const { class_name: className, config } = value as Config;
    if (typeof config === 'string') return snakeCase(config);
    if (typeof className === 'string') return snakeCase(className);
  }
  return JSON.stringify(value);
}

/** The last part of a weight's name without TF's `:0`: kernel, recurrent_kernel, bias, embeddings. */
function baseName(name: string): string {
  return (name.split('/').pop() ?? name).replace(/:\d+$/, '');
}

/** A layer's weights by role: by their names when they carry Keras' names, else in file order (Keras 3's vars/0, vars/1, ...). */
function pickWeights(layer: KerasLayer, weights: FileWeight[], roles: string[], optional: string[], file: string): Map<string, FileWeight> {
  const picked = new Map<string, FileWeight>();
  const named = weights.length > 0 && weights.every((w) => roles.includes(baseName(w.name)));
  const wanted = roles.filter((r) => !optional.includes(r));
  if (named) for (const w of weights) picked.set(baseName(w.name), w);
  else weights.forEach((w, k) => k < roles.length && picked.set(roles[k], w));
  const missing = wanted.filter((r) => !picked.has(r));
  if (missing.length || weights.length > roles.length) {
    throw new CharmError(
      `${file}: layer "${layer.name}" (${layer.className}) has ${weights.length} weights (${weights.map((w) => w.name).join(', ') || 'none'}); expected ${roles.join(', ')}`,
    );
  }
  return picked;
}

function inputShape(config: Config): unknown[] | undefined {
  for (const key of ['batch_input_shape', 'batch_shape']) if (Array.isArray(config[key])) return config[key] as unknown[];
  return undefined;
}

function unsupported(layer: KerasLayer, file: string, why: string): never {
  throw new CharmError(`${file}: layer "${layer.name}" (${layer.className}) ${why}. ${SUPPORTED}`);
}

interface Recurrent {
  layer: KerasLayer;
  cell: CellName;
  units: number;
  recurrentActivation: NonNullable<ModelConfig['recurrentActivation']>;
  returnSequences: boolean;
}

function readRecurrent(layer: KerasLayer, options: MappingOptions, weights: FileWeight[]): Recurrent {
  const c = layer.config;
  const { file } = options;
  if (activationName(c.activation ?? 'tanh') !== 'tanh') unsupported(layer, file, `has activation ${activationName(c.activation)}; only tanh is supported`);
  if (c.go_backwards === true) unsupported(layer, file, 'runs backwards (go_backwards)');
  if (c.time_major === true) unsupported(layer, file, 'is time-major');
  const recurrent = activationName(c.recurrent_activation ?? 'sigmoid');
  let recurrentActivation: Recurrent['recurrentActivation'];
  if (recurrent === 'sigmoid') recurrentActivation = 'sigmoid';
  else if (recurrent === 'hard_sigmoid') recurrentActivation = options.keras3 ? 'hard_sigmoid_keras3' : 'hard_sigmoid';
  else return unsupported(layer, file, `has recurrent_activation ${recurrent}; sigmoid and hard_sigmoid are supported`);
  const units = Number(c.units);
  if (!Number.isInteger(units) || units < 1) unsupported(layer, file, 'has no valid units');
  let cell: CellName = 'lstm';
  if (layer.className === 'GRU') {
    // reset_after: from the config; old Keras 2 configs lack it, then the bias says (two rows: reset after).
    const bias = weights.find((w) => baseName(w.name) === 'bias') ?? (weights.length === 3 ? weights[2] : undefined);
    const resetAfter = typeof c.reset_after === 'boolean' ? c.reset_after : bias?.shape.length === 2;
    cell = resetAfter ? 'gru' : GRU_RESET_BEFORE;
  }
  return { layer, cell, units, recurrentActivation, returnSequences: c.return_sequences === true };
}

/**
 * Maps a chain of Keras layers and their weights to a Charm model.
 * @param weightsOf a layer's weights as the file holds them, in the file's order
 */
export function mapKerasLayers(all: KerasLayer[], weightsOf: (layer: KerasLayer) => FileWeight[], options: MappingOptions): MappedModel {
  const { file } = options;
  const layers = all.filter((l) => !IGNORED.has(l.className));
  const shapeSource = all.find((l) => inputShape(l.config));
  const shape = shapeSource ? inputShape(shapeSource.config) : undefined;
  for (const layer of layers) {
    if (layer.className !== 'Embedding' && layer.className !== 'Dense' && !RECURRENT.has(layer.className)) unsupported(layer, file, 'is not supported');
  }
  let k = 0;
  let embedding: KerasLayer | undefined;
  if (layers[k]?.className === 'Embedding') {
    embedding = layers[k++];
    if (embedding.config.mask_zero === true) unsupported(embedding, file, 'masks symbol 0 (mask_zero)');
  }
  const recurrent: Recurrent[] = [];
  while (layers[k] && RECURRENT.has(layers[k].className) && !layers[k].wrapper) {
    recurrent.push(readRecurrent(layers[k], options, weightsOf(layers[k])));
    k++;
  }
  const dense = layers[k];
  for (const layer of layers.slice(k + 1)) unsupported(layer, file, 'follows the output layer');
  if (recurrent.length === 0) throw new CharmError(`${file}: no LSTM or GRU layer after the input. ${SUPPORTED}`);
  if (!dense || dense.className !== 'Dense')
    throw new CharmError(`${file}: the model does not end with a Dense layer after its recurrent layers. ${SUPPORTED}`);
  const first = recurrent[0];
  for (const r of recurrent.slice(1)) {
    if (r.cell !== first.cell || r.units !== first.units || r.recurrentActivation !== first.recurrentActivation) {
      unsupported(
        r.layer,
        file,
        `differs from "${first.layer.name}" (${first.cell}, ${first.units} units, ${first.recurrentActivation}); stacked layers must be alike`,
      );
    }
  }
  recurrent.slice(0, -1).forEach((r) => r.returnSequences || unsupported(r.layer, file, 'returns only its last output but feeds another recurrent layer'));
  const denseActivation = activationName(dense.config.activation);
  if (denseActivation !== 'linear' && denseActivation !== 'softmax')
    unsupported(dense, file, `has activation ${denseActivation}; linear and softmax are supported`);

  const denseWeights = pickWeights(dense, weightsOf(dense), ['kernel', 'bias'], ['bias'], file);
  const denseKernel = denseWeights.get('kernel') as FileWeight;
  const [units, vocabSize] = denseKernel.shape;
  if (units !== first.units || denseKernel.shape.length !== 2) {
    unsupported(dense, file, `has a kernel of shape [${denseKernel.shape}], expected [${first.units}, vocabulary size]`);
  }
  const charm = new Map<string, FileWeight>();
  let embeddingSize: number;
  if (embedding) {
    const table = pickWeights(embedding, weightsOf(embedding), ['embeddings'], [], file).get('embeddings') as FileWeight;
    if (table.shape[0] !== vocabSize) {
      unsupported(embedding, file, `has ${table.shape[0]} input symbols but the Dense layer ${vocabSize} outputs; Charm needs one vocabulary in and out`);
    }
    embeddingSize = table.shape[1];
    charm.set('embedding', table);
  } else {
    // One-hot input: the first recurrent kernel has a row per symbol, and the embedding is the identity.
    embeddingSize = vocabSize;
    const identity = new Float32Array(vocabSize * vocabSize);
    for (let s = 0; s < vocabSize; s++) identity[s * vocabSize + s] = 1;
    charm.set('embedding', { name: 'one-hot input', shape: [vocabSize, vocabSize], data: identity });
  }
  const config: ModelConfig = { cell: first.cell, vocabSize, embedding: embeddingSize, units: first.units, layers: recurrent.length };
  if (first.recurrentActivation !== 'sigmoid') config.recurrentActivation = first.recurrentActivation;

  const specs = weightSpecs(config);
  const byName = new Map<string, FileWeight>();
  byName.set(specs[0].name, charm.get('embedding') as FileWeight);
  recurrent.forEach((r, layer) => {
    const picked = pickWeights(r.layer, weightsOf(r.layer), ['kernel', 'recurrent_kernel', 'bias'], ['bias'], file);
    const [kernelSpec, recurrentSpec, biasSpec] = specs.slice(1 + 3 * layer, 4 + 3 * layer);
    byName.set(kernelSpec.name, picked.get('kernel') as FileWeight);
    byName.set(recurrentSpec.name, picked.get('recurrent_kernel') as FileWeight);
    byName.set(biasSpec.name, picked.get('bias') ?? zeros(biasSpec.shape, 'no bias (use_bias false)'));
  });
  const [denseKernelSpec, denseBiasSpec] = specs.slice(-2);
  byName.set(denseKernelSpec.name, denseKernel);
  byName.set(denseBiasSpec.name, denseWeights.get('bias') ?? zeros(denseBiasSpec.shape, 'no bias (use_bias false)'));
  for (const spec of specs) {
    const w = byName.get(spec.name) as FileWeight;
    if (w.shape.length !== spec.shape.length || w.shape.some((n, i) => n !== spec.shape[i])) {
      throw new CharmError(`${file}: weight ${w.name} has shape [${w.shape}], expected [${spec.shape}] for ${spec.name}`);
    }
  }
  const last = recurrent[recurrent.length - 1];
  const window = shape && !last.returnSequences && typeof shape[1] === 'number' ? shape[1] : undefined;
  return { config, weights: byName, outputActivation: denseActivation, ...(window ? { windowLength: window } : {}) };
}

function zeros(shape: number[], name: string): FileWeight {
  return { name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}
