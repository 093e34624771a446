/**
 * The messages between the extension host and its two child processes (Node IPC, JSON). One file,
 * so both sides compile against the same shapes; each side checks what it receives with the guards
 * at the bottom (a message from an older or broken child must not crash the host).
 */
import type { BackendChoice } from '../accel';
import type { ImportRequest } from '../interop/importModel';
import type { ImportSource } from '../training/checkpoint';
import type { PresetName } from '../model/config';
import { messageGuard, Shape } from '../util/messageGuard';

// ------------------------------------------------------------------------- training process

/** The host's one request to the trainer process (the 'train' message); everything the host decides (paths, budgets, rules) is resolved here. */
export interface TrainingRequest {
  paths: string[];
  out: string;
  /** Continue the model in `out` (resume or fine-tune); else start a new one. */
  resume: boolean;
  /** Replace a model in `out` (with resume false). */
  overwrite: boolean;
  /**
   * Continue the model even on text far outside its vocabulary (the engine refuses that without
   * it). Default false; "continue training" sets it, since the user chose to fine-tune.
   */
  fineTune?: boolean;
  preset?: PresetName;
  maxSeconds: number;
  /** Tests and benchmarks bound runs by steps too. */
  maxSteps?: number;
  evalEvery?: number;
  backend: BackendChoice;
  corpus: {
    exclude: string[];
    secretPatterns: string[];
    maxFileBytes: number;
  };
}

/**
 * The host's request to adapt the model in use to saved files (the 'adapt' message; the process
 * then runs that alone and exits). See src/extension/training/adaptJob.ts.
 */
export interface AdaptationRequest {
  /** The workspace's own model root: adapted/ is written there; its memory.json names the rules files are read with. */
  root: string;
  /** The saved files, oldest first. */
  files: string[];
  steps: number;
  learningRate: number;
  maxSeconds: number;
  maxChars: number;
  backend: BackendChoice;
}

export type HostToTrainer =
  | { type: 'train'; job: TrainingRequest }
  | { type: 'adapt'; job: AdaptationRequest }
  /** Stop after saving a checkpoint. */
  | { type: 'stop' };

export interface TrainStartInfo {
  backend: string;
  backendDetail: string;
  parameters: number;
  model: { cell: string; layers: number; units: number; embedding: number; vocabSize: number };
  corpusSummary: string;
  files: number;
  chars: number;
  resumed: boolean;
  fineTuning: boolean;
  startStep: number;
}

export type TrainerToHost =
  | { type: 'started'; info: TrainStartInfo }
  | { type: 'step'; step: number; epoch: number; loss: number; progress: number; etaSeconds: number; charsPerSec: number }
  | { type: 'eval'; step: number; valLoss: number | null; valAccuracy: number | null; best: boolean }
  | { type: 'checkpoint'; step: number; path: string; best: boolean }
  | { type: 'warning'; message: string }
  | { type: 'done'; stopReason: string; step: number; stepsThisRun: number; bestValLoss: number | null }
  /** The adaptation's end: `written` false says why nothing was (`reason`: interrupted, no-gain, no-text, diverged). */
  | { type: 'adapted'; written: boolean; reason: string; files: number; lossBefore: number | null; lossAfter: number | null }
  /** `userError`: a CharmError (bad input), shown without a stack. */
  | { type: 'failed'; message: string; userError: boolean };

// ------------------------------------------------------------------------- inference process

export interface CompleteRequest {
  type: 'complete';
  id: number;
  /** Identifies the document (its URI); states and staleness are per document. */
  doc: string;
  /** Text before the cursor (up to BEFORE_CHARS), as in the document (CRLF kept). */
  window: string;
  /** The LSTM primes from this many characters before the cursor after a jump. */
  contextChars: number;
  /** The cursor's offset in the document, to recognise one typed character. */
  offset: number;
  maxChars: number;
  stopAtNewline: boolean;
  temperature: number;
  seed: number;
  /** Continuations less likely than this (joint probability, 0..1) are not explored. */
  minConfidence: number;
}

export interface GenerateRequest {
  type: 'generate';
  id: number;
  prompt: string;
  length: number;
  temperature: number;
  seed?: number;
}

export interface SamplesRequest {
  type: 'samples';
  id: number;
  prime: string;
  temperatures: number[];
  length: number;
}

export type HostToInference =
  /** `memoryRoot`: where the workspace memory's spec lies, when the model comes from elsewhere (a chosen model); default `root`. */
  | { type: 'load'; root: string; backend: BackendChoice; memoryRoot?: string }
  | { type: 'unload' }
  | CompleteRequest
  | GenerateRequest
  | SamplesRequest
  | { type: 'cancel'; id: number }
  | { type: 'forget'; doc: string }
  /** The user saved this file: the workspace memory learns its content from disk. */
  | { type: 'learnFile'; path: string };

export interface LoadedInfo {
  /** False: no checkpoint yet, the workspace memory completes alone (the fields below are empty). */
  neural: boolean;
  /** The workspace memory, when the model root names one (see modelStore's MemorySpec). */
  memory: { files: number; chars: number } | null;
  dir: string;
  step: number;
  bestValLoss: number | null;
  parameters: number;
  backend: string;
  backendDetail: string;
  savedAt: string;
  /** Saved files the loaded LSTM was adapted to (its adapted/ checkpoint); 0: none. */
  adaptedFiles?: number;
}

export type StateReuse = 'hit' | 'advance' | 'prime';

export type InferenceToHost =
  | { type: 'loaded'; info: LoadedInfo }
  | { type: 'noModel'; message: string }
  | { type: 'loadFailed'; message: string }
  | {
      type: 'completion';
      id: number;
      text: string;
      logProbs: number[];
      next: string;
      reuse: StateReuse;
      ms: number;
      stoppedBy: 'length' | 'newline' | 'unsure';
    }
  | { type: 'generated'; id: number; text: string; meanLogProb: number }
  | { type: 'progress'; id: number; chars: number; total: number }
  | { type: 'samples'; id: number; samples: { temperature: number; text: string }[] }
  /** The request was cancelled, superseded by a newer one for the same document, or came with no model loaded. */
  | { type: 'dropped'; id: number; reason: 'cancelled' | 'stale' | 'no-model' }
  | { type: 'failed'; id: number; message: string };

// ------------------------------------------------------------------------- import process

/** What the import process reports of a model it imported. */
export interface ImportSummary {
  format: ImportSource['format'];
  /** The checkpoint root written. */
  out: string;
  vocabularySize: number;
  parameters: number;
}

/** The host's one request to the import process (src/extension/importProcess.ts). */
export type HostToImporter = { type: 'import'; request: ImportRequest };

export type ImporterToHost =
  | { type: 'imported'; summary: ImportSummary }
  /** `userError`: a CharmError (bad input), shown without a stack. */
  | { type: 'failed'; message: string; userError: boolean };

// ------------------------------------------------------------------------- guards

const TRAINER_TO_HOST: Record<TrainerToHost['type'], Shape> = {
  started: { info: 'object' },
  step: { step: 'number', epoch: 'number', loss: 'number', progress: 'number', etaSeconds: 'number', charsPerSec: 'number' },
  eval: { step: 'number', valLoss: 'number|null', valAccuracy: 'number|null', best: 'boolean' },
  checkpoint: { step: 'number', path: 'string', best: 'boolean' },
  warning: { message: 'string' },
  done: { stopReason: 'string', step: 'number', stepsThisRun: 'number', bestValLoss: 'number|null' },
  adapted: { written: 'boolean', reason: 'string', files: 'number', lossBefore: 'number|null', lossAfter: 'number|null' },
  failed: { message: 'string', userError: 'boolean' },
};

const HOST_TO_TRAINER: Record<HostToTrainer['type'], Shape> = {
  train: { job: 'object' },
  adapt: { job: 'object' },
  stop: {},
};

const INFERENCE_TO_HOST: Record<InferenceToHost['type'], Shape> = {
  loaded: { info: 'object' },
  noModel: { message: 'string' },
  loadFailed: { message: 'string' },
  completion: { id: 'number', text: 'string', logProbs: 'array', next: 'string', reuse: 'string', ms: 'number', stoppedBy: 'string' },
  generated: { id: 'number', text: 'string', meanLogProb: 'number' },
  progress: { id: 'number', chars: 'number', total: 'number' },
  samples: { id: 'number', samples: 'array' },
  dropped: { id: 'number', reason: 'string' },
  failed: { id: 'number', message: 'string' },
};

const HOST_TO_INFERENCE: Record<HostToInference['type'], Shape> = {
  load: { root: 'string', backend: 'string', memoryRoot: 'string?' },
  unload: {},
  complete: {
    id: 'number',
    doc: 'string',
    window: 'string',
    contextChars: 'number',
    offset: 'number',
    maxChars: 'number',
    stopAtNewline: 'boolean',
    temperature: 'number',
    seed: 'number',
    minConfidence: 'number',
  },
  generate: { id: 'number', prompt: 'string', length: 'number', temperature: 'number', seed: 'number?' },
  samples: { id: 'number', prime: 'string', temperatures: 'array', length: 'number' },
  cancel: { id: 'number' },
  forget: { doc: 'string' },
  learnFile: { path: 'string' },
};

const HOST_TO_IMPORTER: Record<HostToImporter['type'], Shape> = { import: { request: 'object' } };
const IMPORTER_TO_HOST: Record<ImporterToHost['type'], Shape> = { imported: { summary: 'object' }, failed: { message: 'string', userError: 'boolean' } };

export const isTrainerToHost = messageGuard<TrainerToHost>(TRAINER_TO_HOST);
export const isHostToTrainer = messageGuard<HostToTrainer>(HOST_TO_TRAINER);
export const isInferenceToHost = messageGuard<InferenceToHost>(INFERENCE_TO_HOST);
export const isHostToInference = messageGuard<HostToInference>(HOST_TO_INFERENCE);
export const isHostToImporter = messageGuard<HostToImporter>(HOST_TO_IMPORTER);
export const isImporterToHost = messageGuard<ImporterToHost>(IMPORTER_TO_HOST);
