/**
 * Loads a checkpoint for inference: the engine's loader (format checks, checksums), then the
 * weights copied out of tfjs into a StepModel whose products run on the chosen backend.
 */
import { BackendChoice, BackendInfo, initBackend } from '../../model/backend';
import { weightSpecs } from '../../model/charModel';
import { parameterCount } from '../../model/config';
import { CheckpointKind, CheckpointMeta, loadCheckpoint } from '../../training/checkpoint';
import { Vocabulary } from '../../training/vocabulary';
import { jsMatVec } from './matVec';
import { StepModel } from './stepModel';
import { tfjsMatVec } from './tfjsMatVec';

export interface LoadedModel {
  dir: string;
  model: StepModel;
  vocab: Vocabulary;
  meta: CheckpointMeta;
  parameters: number;
  backend: BackendInfo;
}

/**
 * @param backend 'cpu' runs the products in plain JavaScript (faster than tfjs's cpu backend for
 * one vector); others use that tfjs backend, with ONE wasm thread: the inference process must not
 * compete with a training process for cores, and a single vector gains nothing from more threads.
 */
export async function loadForInference(root: string, backend: BackendChoice, prefer: CheckpointKind = 'best'): Promise<LoadedModel> {
  const info = await initBackend(backend, { threads: 1 });
  const loaded = await loadCheckpoint(root, { prefer });
  try {
    const weights = new Map<string, Float32Array>();
    const variables = loaded.model.variables;
    weightSpecs(loaded.meta.model).forEach((spec, k) => {
      weights.set(spec.name, Float32Array.from(variables[k].dataSync() as Float32Array));
    });
    return {
      dir: loaded.dir,
      model: new StepModel(loaded.meta.model, weights, info.name === 'cpu' ? jsMatVec : tfjsMatVec),
      vocab: loaded.vocab,
      meta: loaded.meta,
      parameters: parameterCount(loaded.meta.model),
      backend: info.name === 'cpu' ? { ...info, detail: 'plain JavaScript (one thread)' } : info,
    };
  } finally {
    loaded.model.dispose();
  }
}
