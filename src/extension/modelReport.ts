/**
 * The data the model view shows, gathered from the checkpoint on disk and the live state. Pure
 * data in, plain JSON out (it crosses into the webview by postMessage).
 */
import { cellLabel } from '../model/cells';
import { parameterCount } from '../model/config';
import type { ModelState } from './ipc/inferenceClient';
import { adaptedCheckpoint, ModelSummary, thinHistory } from './modelStore';
import type { TrainingStatus } from './status';

export interface ModelReport {
  root: string;
  /** Which model completes: the workspace's own, or one chosen with "Use Model…" (with where it came from). */
  inUse?: { label: string; chosen: boolean; about?: string };
  model?: {
    /** As cellLabel names it: "LSTM", "GRU (reset_after=false)". */
    cell: string;
    layers: number;
    units: number;
    embedding: number;
    vocabSize: number;
    parameters: number;
    weightBytes: number;
    totalBytes: number;
    checkpoint: string;
  };
  progress?: {
    step: number;
    epoch: number;
    bestValLoss: number | null;
    bestStep: number | null;
    elapsedSeconds: number;
    charsSeen: number;
    savedAt: string;
    trainedOn: string;
    seqLength?: number;
    batchSize?: number;
    learningRate?: number;
  };
  /** The adapted/ checkpoint completions use (fine-tuned on saved files), when it is current. */
  adaptation?: { files: number; steps: number; lossBefore: number; lossAfter: number };
  corpus?: { sources: string[]; files: number; chars: number; trainChars: number; valChars: number; unknownChars: number };
  inference: { state: ModelState['kind']; backend?: string; detail?: string; message?: string };
  training?: TrainingStatus;
  history: { train: [number, number][]; val: [number, number][] };
}

/** Points drawn per curve. */
const MAX_POINTS = 400;

export function buildModelReport(
  root: string,
  summary: ModelSummary | undefined,
  inference: ModelState,
  training?: TrainingStatus,
  inUse?: ModelReport['inUse'],
): ModelReport {
  const inf: ModelReport['inference'] = { state: inference.kind };
  if (inference.kind === 'ready') {
    inf.backend = inference.info.backend;
    inf.detail = inference.info.backendDetail;
  } else if (inference.kind === 'failed' || inference.kind === 'none') {
    inf.message = inference.message;
  }
  if (!summary) return { root, inUse, inference: inf, training, history: { train: [], val: [] } };
  const { meta } = summary;
  const t = meta.training;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const a = adaptedCheckpoint(root)?.meta.adaptation;
  return {
    root,
    inUse,
    model: {
      cell: cellLabel(meta.model),
      layers: meta.model.layers,
      units: meta.model.units,
      embedding: meta.model.embedding,
      vocabSize: meta.model.vocabSize,
      parameters: parameterCount(meta.model),
      weightBytes: summary.weightBytes,
      totalBytes: summary.totalBytes,
      checkpoint: summary.dir,
    },
    progress: {
      step: meta.progress.step,
      epoch: meta.progress.epoch,
      bestValLoss: meta.progress.bestValLoss,
      bestStep: meta.progress.bestStep,
      elapsedSeconds: meta.progress.elapsedSeconds,
      charsSeen: meta.progress.charsSeen,
      savedAt: meta.savedAt,
      trainedOn: meta.backend,
      seqLength: num(t.seqLength),
      batchSize: num(t.batchSize),
      learningRate: num(t.learningRate),
    },
    adaptation: a && { files: a.files.length, steps: a.steps, lossBefore: a.lossBefore, lossAfter: a.lossAfter },
    corpus: { ...meta.corpus },
    inference: inf,
    training,
    history: { train: thinHistory(meta.history.train, MAX_POINTS), val: thinHistory(meta.history.val, MAX_POINTS) },
  };
}
