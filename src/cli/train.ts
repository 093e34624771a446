import { FlagSpec, FlagValues, flagBool, flagNumber, flagString } from './args';
import { CELL_NAMES, cellLabel, CellName } from '../model/cells';
import { PRESETS, PresetName } from '../model/config';
import { BackendChoice } from '../accel';
import { SessionHooks, runTrainingSession } from '../training/session';
import { Hyperparameters } from '../training/hyperparameters';
import { formatDuration } from '../util/format';
import { Output } from './output';
import { CharmError } from '../errors';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  out: { kind: 'string' },
  data: { kind: 'string' },
  preset: { kind: 'string', choices: Object.keys(PRESETS) },
  cell: { kind: 'string', choices: CELL_NAMES },
  layers: { kind: 'int' },
  units: { kind: 'int' },
  embedding: { kind: 'int' },
  'seq-length': { kind: 'int' },
  'batch-size': { kind: 'int' },
  'learning-rate': { kind: 'number' },
  schedule: { kind: 'string', choices: ['cosine', 'none'] },
  epochs: { kind: 'number' },
  'max-steps': { kind: 'int' },
  'max-seconds': { kind: 'number' },
  'val-fraction': { kind: 'number' },
  'eval-every': { kind: 'int' },
  patience: { kind: 'int' },
  seed: { kind: 'int' },
  resume: { kind: 'boolean' },
  overwrite: { kind: 'boolean' },
  'fine-tune': { kind: 'boolean' },
  'max-file-kb': { kind: 'number' },
  'include-secrets': { kind: 'boolean' },
  backend: { kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'] },
  json: { kind: 'boolean' },
};

export async function trainCommand(paths: string[], flags: FlagValues, out: Output, signal: AbortSignal): Promise<void> {
  const options: Partial<Hyperparameters> = {
    seqLength: flagNumber(flags, 'seq-length'),
    batchSize: flagNumber(flags, 'batch-size'),
    learningRate: flagNumber(flags, 'learning-rate'),
    schedule: flagString(flags, 'schedule') as Hyperparameters['schedule'] | undefined,
    epochs: flagNumber(flags, 'epochs'),
    maxSteps: flagNumber(flags, 'max-steps'),
    maxSeconds: flagNumber(flags, 'max-seconds'),
    valFraction: flagNumber(flags, 'val-fraction'),
    evalEvery: flagNumber(flags, 'eval-every'),
    patience: flagNumber(flags, 'patience'),
    seed: flagNumber(flags, 'seed'),
  };
  const maxFileKb = flagNumber(flags, 'max-file-kb');
  if (maxFileKb !== undefined && !(maxFileKb > 0)) throw new CharmError(`--max-file-kb must be more than 0, got ${maxFileKb}`);
  let lastLoss = NaN;
  let lastVal: number | null = null;
  let smoothedRate = 0;
  const hooks: SessionHooks = {
    onStart: (info) => {
      out.event(
        {
          event: 'start',
          backend: info.backend.name,
          threads: info.backend.threads,
          backendDetail: info.backend.detail,
          model: info.model,
          parameters: info.parameters,
          options: info.options,
          corpus: info.corpus,
          skipped: info.corpus.skipped,
          files: info.corpus.filesRead,
          redacted: info.corpus.redacted,
          resumed: info.resumed,
          fineTuning: info.fineTuning,
          startStep: info.startStep,
          bestValLoss: info.bestValLoss,
          out: info.out,
        },
        () =>
          [
            `Corpus: ${info.corpusSummary}`,
            `Model: ${cellLabel(info.model)} ${info.model.layers}x${info.model.units}, embedding ${info.model.embedding}, ` +
              `vocabulary ${info.model.vocabSize}, ${info.parameters.toLocaleString('en-US')} parameters`,
            `Backend: ${info.backend.name} (${info.backend.detail})`,
            `${info.resumed ? (info.fineTuning ? 'Fine-tuning' : 'Resuming') + ` from step ${info.startStep}` : 'Training'}: ` +
              `seq ${info.options.seqLength}, batch ${info.options.batchSize}, lr ${info.options.learningRate}, saving to ${info.out}`,
          ].join('\n'),
      );
    },
    onStep: (e) => {
      lastLoss = e.loss;
      smoothedRate = smoothedRate ? 0.9 * smoothedRate + 0.1 * e.charsPerSec : e.charsPerSec;
      out.event({
        event: 'step',
        step: e.step,
        epoch: e.epoch,
        loss: round(e.loss),
        charsPerSec: Math.round(e.charsPerSec),
        learningRate: e.learningRate,
        progress: round(e.progress),
      });
      out.progress(
        `step ${e.step}  epoch ${e.epoch}  loss ${e.loss.toFixed(3)}  val ${lastVal === null ? '-' : lastVal.toFixed(3)}  ` +
          `${Math.round(smoothedRate).toLocaleString('en-US')} chars/s  ${Math.round(e.progress * 100)}%  ETA ${formatDuration(e.etaSeconds)}`,
      );
    },
    onEval: (e) => {
      lastVal = e.valLoss;
      out.event(
        {
          event: 'eval',
          step: e.step,
          valLoss: e.valLoss === null ? null : round(e.valLoss),
          valAccuracy: e.valAccuracy === null ? null : round(e.valAccuracy),
          loss: round(e.loss),
          best: e.best,
        },
        () =>
          `step ${e.step}: ${e.valLoss === null ? `train loss ${e.loss.toFixed(4)} (no validation set)` : `val loss ${e.valLoss.toFixed(4)} nats/char, accuracy ${((e.valAccuracy ?? 0) * 100).toFixed(1)}%`}${e.best ? '  (best)' : ''}`,
      );
    },
    onCheckpoint: (e) => out.event({ event: 'checkpoint', step: e.step, path: e.path, best: e.best }),
    onWarning: (message) => out.event({ event: 'warning', message }, () => `warning: ${message}`),
  };
  const result = await runTrainingSession(
    {
      paths,
      data: flagString(flags, 'data'),
      // Node's performance clock starts with the process: --max-seconds is the command's wall clock.
      budgetStartedAt: 0,
      out: flagString(flags, 'out') ?? 'charm-model',
      preset: flagString(flags, 'preset') as PresetName | undefined,
      cell: flagString(flags, 'cell') as CellName | undefined, // one of CELL_NAMES: checked by the flag's choices
      layers: flagNumber(flags, 'layers'),
      units: flagNumber(flags, 'units'),
      embedding: flagNumber(flags, 'embedding'),
      options,
      resume: flagBool(flags, 'resume'),
      overwrite: flagBool(flags, 'overwrite'),
      fineTune: flagBool(flags, 'fine-tune'),
      writer: ['charm', 'train', ...process.argv.slice(3)].join(' '),
      corpus: { maxFileBytes: maxFileKb !== undefined ? Math.round(maxFileKb * 1024) : undefined, includeSecrets: flagBool(flags, 'include-secrets') },
      backend: (flagString(flags, 'backend') ?? 'auto') as BackendChoice,
      signal,
    },
    hooks,
  );
  const reasons: Record<string, string> = {
    budget: 'budget reached',
    'early-stopping': 'validation loss stopped improving',
    interrupted: 'interrupted; checkpoint saved',
    diverged: 'loss kept diverging',
  };
  out.event(
    {
      event: 'done',
      steps: result.progress.step,
      stepsThisRun: result.stepsThisRun,
      stopReason: result.stopReason,
      bestValLoss: result.progress.bestValLoss,
      lastLoss: round(lastLoss),
      backend: result.backend.name,
      out: result.out,
    },
    () =>
      `Done after step ${result.progress.step} (${reasons[result.stopReason]}). ` +
      `Best validation loss ${result.progress.bestValLoss === null ? '-' : `${result.progress.bestValLoss.toFixed(4)} nats/char`}. Model in ${result.out}`,
  );
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e5) / 1e5 : x;
}
