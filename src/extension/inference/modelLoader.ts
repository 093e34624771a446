/**
 * Loads a checkpoint for inference: the engine's loader (format checks, checksums) on tfjs's cpu
 * backend, then the weights copied out into a StepModel whose vector x matrix products run on the
 * chosen backend:
 *   wasm / auto  the engine's own WebAssembly SIMD kernel (no tfjs op overhead per call),
 *   cpu          plain JavaScript,
 *   tensorflow   a tfjs matMul on @tensorflow/tfjs-node.
 * One thread each: the completion process must not compete with a training process for cores,
 * and a single vector gains nothing from more.
 */
import { BackendChoice, BackendInfo, initBackend } from '../../model/backend';
import { weightSpecs } from '../../model/charModel';
import { parameterCount } from '../../model/config';
import { wasmMatVec, wasmSimdAvailable } from '../../model/kernels/wasmMatVec';
import { CheckpointKind, CheckpointMeta, loadCheckpoint } from '../../training/checkpoint';
import { Vocabulary } from '../../training/vocabulary';
import { jsMatVec, MatVecFactory } from './matVec';
import { StepModel } from './stepModel';
import { tfjsMatVec } from './tfjsMatVec';

export interface LoadedModel {
  dir: string;
  model: StepModel;
  vocab: Vocabulary;
  meta: CheckpointMeta;
  parameters: number;
  /** What computes the products (shown in the status bar tooltip and the model view). */
  backend: { name: string; detail: string };
}

/** Picks the product implementation for a backend choice. */
async function products(choice: BackendChoice): Promise<{ factory: MatVecFactory; backend: LoadedModel['backend'] }> {
  if (choice === 'tensorflow') {
    const info: BackendInfo = await initBackend('tensorflow');
    return { factory: tfjsMatVec, backend: { name: info.name, detail: info.detail } };
  }
  if (choice !== 'cpu' && wasmSimdAvailable()) {
    return { factory: wasmMatVec, backend: { name: 'wasm', detail: 'WebAssembly SIMD kernel, one thread' } };
  }
  return { factory: jsMatVec, backend: { name: 'cpu', detail: 'plain JavaScript, one thread' } };
}

export async function loadForInference(root: string, choice: BackendChoice, prefer: CheckpointKind = 'best'): Promise<LoadedModel> {
  const { factory, backend } = await products(choice);
  // The tensors only live for the moment of copying: cpu needs no threads and no wasm files.
  if (choice !== 'tensorflow') await initBackend('cpu');
  const loaded = await loadCheckpoint(root, { prefer });
  try {
    const weights = new Map<string, Float32Array>();
    const variables = loaded.model.variables;
    weightSpecs(loaded.meta.model).forEach((spec, k) => {
      weights.set(spec.name, Float32Array.from(variables[k].dataSync() as Float32Array));
    });
    return {
      dir: loaded.dir,
      model: new StepModel(loaded.meta.model, weights, factory),
      vocab: loaded.vocab,
      meta: loaded.meta,
      parameters: parameterCount(loaded.meta.model),
      backend,
    };
  } finally {
    loaded.model.dispose();
  }
}
