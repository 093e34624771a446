/**
 * Placeholder of the model importer (Keras .h5 / .keras, TensorFlow.js layers -> a Charm
 * checkpoint), built on the "interop" branch; the integrator replaces this file with that one. The
 * declarations are the contract the extension's import process (src/extension/importProcess.ts) uses.
 */
import { CharmError } from '../errors';

export interface ImportRequest {
  input: string;
  out: string;
  vocabPath?: string;
  vocabFromText?: string;
}

export interface ImportSummary {
  format: 'keras-h5' | 'keras' | 'tfjs-layers';
  out: string;
  vocabularySize: number;
  parameters: number;
}

export async function importModel(request: ImportRequest): Promise<ImportSummary> {
  void request;
  throw new CharmError('Model import is not built in this branch');
}
