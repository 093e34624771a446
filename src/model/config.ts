import { CharmError } from '../errors';
import { biasShape, CellName, cellSpec, gateWidth } from './cells';

/** The shape of a character model: everything needed to rebuild its weights. */
export interface ModelConfig {
  cell: CellName;
  vocabSize: number;
  embedding: number;
  units: number;
  layers: number;
  /** Keras' recurrent_activation; absent = 'sigmoid'. 'hard_sigmoid' = clip(0.2x + 0.5, 0, 1) (Keras 2, tfjs-layers); 'hard_sigmoid_keras3' = clip(x / 6 + 0.5, 0, 1). */
  recurrentActivation?: 'sigmoid' | 'hard_sigmoid' | 'hard_sigmoid_keras3';
}

export type PresetName = 'tiny' | 'small' | 'medium' | 'seed';

export interface Preset {
  embedding: number;
  units: number;
  layers: number;
  /** Training shape that suits the size; `seed` is the book's recipe (seq 100, batch 64). */
  seqLength: number;
  batchSize: number;
  learningRate: number;
  description: string;
}

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  tiny: { embedding: 32, units: 128, layers: 1, seqLength: 64, batchSize: 32, learningRate: 3e-3, description: 'trains in a minute on a laptop' },
  small: { embedding: 64, units: 256, layers: 1, seqLength: 64, batchSize: 32, learningRate: 1e-2, description: 'the default: best quality in a few minutes' },
  medium: { embedding: 128, units: 512, layers: 1, seqLength: 100, batchSize: 32, learningRate: 2e-3, description: 'better with an hour of training' },
  seed: {
    embedding: 256,
    units: 1024,
    layers: 1,
    seqLength: 100,
    batchSize: 64,
    learningRate: 2e-3,
    description: "the Keras book's model (Embedding 256, LSTM 1024)",
  },
};

export const DEFAULT_PRESET: PresetName = 'small';

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

export function presetByName(name: string): Preset {
  if (!isPresetName(name)) {
    throw new CharmError(`Unknown preset "${name}": expected one of ${Object.keys(PRESETS).join(', ')}`);
  }
  return PRESETS[name];
}

/** Counts the trainable parameters, for reports and the model view. */
export function parameterCount(c: ModelConfig): number {
  const spec = cellSpec(c.cell);
  const width = gateWidth(spec, c.units);
  const bias = biasShape(spec, c.units).reduce((a, b) => a * b, 1);
  let total = c.vocabSize * c.embedding;
  for (let layer = 0; layer < c.layers; layer++) {
    const input = layer === 0 ? c.embedding : c.units;
    total += input * width + c.units * width + bias;
  }
  return total + c.units * c.vocabSize + c.vocabSize;
}

export function validateModelConfig(c: ModelConfig): void {
  const positive = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new CharmError(`Model ${name} must be an integer from 1 to ${max}, got ${value}`);
    }
  };
  cellSpec(String(c.cell)); // throws the one-line error for an unknown cell (a config.json)
  positive('vocabulary size', c.vocabSize, 1 << 16);
  positive('embedding size', c.embedding, 8192);
  positive('units', c.units, 8192);
  positive('layers', c.layers, 16);
}
