/**
 * Loads a checkpoint for inference: the engine's loader (format checks, checksums) on tfjs's cpu
 * backend, then the weights copied out into a StepModel whose vector x matrix products run on the
 * chosen backend (src/accel/matVec/choice.ts):
 *   wasm / auto  the engine's own WebAssembly SIMD kernel (no tfjs op overhead per call),
 *   cpu          plain JavaScript,
 *   tensorflow   a tfjs matMul on @tensorflow/tfjs-node.
 */
import { BackendChoice, initBackend, matVecFor } from '../../accel';
import { parameterCount } from '../../model/config';
import { StepModel } from '../../model/stepModel';
import { CheckpointKind, CheckpointMeta, loadCheckpoint } from '../../training/checkpoint';
import { Vocabulary } from '../../training/vocabulary';
import { adaptedCheckpoint } from '../modelStore';

export interface LoadedModel {
  dir: string;
  model: StepModel;
  vocab: Vocabulary;
  meta: CheckpointMeta;
  parameters: number;
  /** What computes the products (shown in the status bar tooltip and the model view). */
  backend: { name: string; detail: string };
}

export async function loadForInference(root: string, choice: BackendChoice, prefer: CheckpointKind = 'best'): Promise<LoadedModel> {
  const products = matVecFor(choice === 'tensorflow' ? (await initBackend('tensorflow')).name : choice === 'cpu' ? 'cpu' : 'wasm');
  // The tensors only live for the moment of copying: cpu needs no threads and no wasm files.
  if (choice !== 'tensorflow') await initBackend('cpu');
  const loaded = await loadPreferringAdapted(root, prefer);
  try {
    return {
      dir: loaded.dir,
      model: new StepModel(loaded.meta.model, loaded.model.weightValues(), products.factory),
      vocab: loaded.vocab,
      meta: loaded.meta,
      parameters: parameterCount(loaded.meta.model),
      backend: { name: products.name, detail: products.detail },
    };
  } finally {
    loaded.model.dispose();
  }
}

/** A current adapted/ (saved files learned) before best/; a damaged one is passed over, best/ still loads. */
async function loadPreferringAdapted(root: string, prefer: CheckpointKind) {
  const adapted = prefer === 'best' ? adaptedCheckpoint(root) : undefined;
  if (adapted) {
    try {
      return await loadCheckpoint(adapted.dir);
    } catch (e) {
      process.stderr.write(`ignoring the adapted model ${adapted.dir}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return loadCheckpoint(root, { prefer });
}
