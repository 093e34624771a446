/**
 * The messages between the extension host and the model view's webview (postMessage, JSON). Both
 * sides compile against these types and check what they receive with the guards below: the view
 * draws only a report whose every section has the fields it reads, and the host answers only the
 * two requests it knows. Type-only imports: this file is bundled into the browser script.
 */
import type { ModelReport } from '../modelReport';
import type { TrainingStatus } from '../status';
import { FieldKind, matchesShape, messageGuard, Shape } from '../../util/messageGuard';

export interface Sample {
  temperature: number;
  text: string;
}

export type HostToView =
  | { type: 'report'; report: ModelReport }
  /** The text the first samples continue, shown in the "Start from" box. */
  | { type: 'prime'; text: string }
  /** Samples continuing `prime`, or why there are none. */
  | { type: 'samples'; samples?: Sample[]; error?: string; prime: string };

export type ViewToHost =
  /** The script has loaded: send the report, the prime and the first samples. */
  { type: 'ready' } | { type: 'samples'; prime: string };

const HOST_TO_VIEW: Record<HostToView['type'], Shape> = {
  report: { report: 'object' },
  prime: { text: 'string' },
  samples: { samples: 'array?', error: 'string?', prime: 'string' },
};

const VIEW_TO_HOST: Record<ViewToHost['type'], Shape> = {
  ready: {},
  samples: { prime: 'string' },
};

// One entry per field of each section, so that a field added to ModelReport must be added here.
type ShapeOf<T> = Record<keyof T, FieldKind>;

const REPORT: ShapeOf<ModelReport> = {
  root: 'string',
  inUse: 'object?',
  model: 'object?',
  adaptation: 'object?',
  progress: 'object?',
  corpus: 'object?',
  inference: 'object',
  training: 'object?',
  history: 'object',
};
const MODEL: ShapeOf<NonNullable<ModelReport['model']>> = {
  cell: 'string',
  layers: 'number',
  units: 'number',
  embedding: 'number',
  vocabSize: 'number',
  parameters: 'number',
  weightBytes: 'number',
  totalBytes: 'number',
  checkpoint: 'string',
};
const PROGRESS: ShapeOf<NonNullable<ModelReport['progress']>> = {
  step: 'number',
  epoch: 'number',
  bestValLoss: 'number|null',
  bestStep: 'number|null',
  elapsedSeconds: 'number',
  charsSeen: 'number',
  savedAt: 'string',
  trainedOn: 'string',
  seqLength: 'number?',
  batchSize: 'number?',
  learningRate: 'number?',
};
const CORPUS: ShapeOf<NonNullable<ModelReport['corpus']>> = {
  sources: 'array',
  files: 'number',
  chars: 'number',
  trainChars: 'number',
  valChars: 'number',
  unknownChars: 'number',
};
const IN_USE: ShapeOf<NonNullable<ModelReport['inUse']>> = { label: 'string', chosen: 'boolean', about: 'string?' };
const INFERENCE: ShapeOf<ModelReport['inference']> = { state: 'string', backend: 'string?', detail: 'string?', message: 'string?' };
const TRAINING: ShapeOf<TrainingStatus> = { progress: 'number', step: 'number', loss: 'number|null', etaSeconds: 'number|null', stopping: 'boolean' };
const HISTORY: ShapeOf<ModelReport['history']> = { train: 'array', val: 'array' };
const SAMPLE: ShapeOf<Sample> = { temperature: 'number', text: 'string' };

/** An optional section: absent, or of its shape. */
function optional(value: unknown, shape: Shape): boolean {
  return value === undefined || matchesShape(value, shape);
}

/** [step, loss]; JSON turns a NaN or infinite loss into null, which the chart leaves out. */
function isLossPoint(p: unknown): boolean {
  return Array.isArray(p) && p.length === 2 && typeof p[0] === 'number' && (typeof p[1] === 'number' || p[1] === null);
}

export function isModelReport(value: unknown): value is ModelReport {
  if (!matchesShape(value, REPORT)) return false;
  const r = value as ModelReport;
  return (
    optional(r.inUse, IN_USE) &&
    optional(r.model, MODEL) &&
    optional(r.progress, PROGRESS) &&
    optional(r.training, TRAINING) &&
    optional(r.corpus, CORPUS) &&
    (r.corpus === undefined || r.corpus.sources.every((s) => typeof s === 'string')) &&
    matchesShape(r.inference, INFERENCE) &&
    matchesShape(r.history, HISTORY) &&
    r.history.train.every(isLossPoint) &&
    r.history.val.every(isLossPoint)
  );
}

const isHostToViewShape = messageGuard<HostToView>(HOST_TO_VIEW);

/** What the webview accepts: a known message whose report or samples are whole. */
export function isHostToView(value: unknown): value is HostToView {
  if (!isHostToViewShape(value)) return false;
  if (value.type === 'report') return isModelReport(value.report);
  if (value.type === 'samples') return value.samples === undefined || value.samples.every((s) => matchesShape(s, SAMPLE));
  return true;
}

/** What the host accepts from the webview. */
export const isViewToHost = messageGuard<ViewToHost>(VIEW_TO_HOST);
