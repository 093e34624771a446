/**
 * Loads a checkpoint for inference: the engine's loader (format checks, checksums) on the tfjs cpu
 * backend, then copies the weights out into plain arrays for JsCharModel and frees the tensors.
 */
import { initBackend } from '../../model/backend';
import { weightSpecs } from '../../model/charModel';
import { parameterCount } from '../../model/config';
import { CheckpointKind, CheckpointMeta, loadCheckpoint } from '../../training/checkpoint';
import { Vocabulary } from '../../training/vocabulary';
import { JsCharModel } from './jsCharModel';

export interface LoadedModel {
  dir: string;
  model: JsCharModel;
  vocab: Vocabulary;
  meta: CheckpointMeta;
  parameters: number;
}

export async function loadForInference(root: string, prefer: CheckpointKind = 'best'): Promise<LoadedModel> {
  // cpu: only to hold the tensors for the moment of copying; it needs no threads or wasm files.
  await initBackend('cpu');
  const loaded = await loadCheckpoint(root, { prefer });
  try {
    const weights = new Map<string, Float32Array>();
    const variables = loaded.model.variables;
    weightSpecs(loaded.meta.model).forEach((spec, k) => {
      weights.set(spec.name, Float32Array.from(variables[k].dataSync() as Float32Array));
    });
    return {
      dir: loaded.dir,
      model: new JsCharModel(loaded.meta.model, weights),
      vocab: loaded.vocab,
      meta: loaded.meta,
      parameters: parameterCount(loaded.meta.model),
    };
  } finally {
    loaded.model.dispose();
  }
}
