/**
 * Entry of the training process (forked by the extension host for one training run, built to
 * dist/trainerProcess.js): runs the engine's runTrainingSession and reports over Node IPC (protocol.ts).
 * It also runs the background adaptation to saved files (training/adaptJob.ts), at the same low priority.
 * "stop" aborts the run, which saves a checkpoint before it ends. If the host disappears, the
 * run is stopped the same way, so a closed window never leaves a training process behind.
 */
import * as os from 'node:os';
import { CharmError } from '../errors';
import { runTrainingSession } from '../training/session';
import { HostToTrainer, isHostToTrainer, TrainerToHost, TrainingRequest } from './protocol';
import { runAdaptation } from './training/adaptJob';

// Lowest priority first, before tfjs starts any worker thread: on Linux the nice value belongs to
// each thread and new threads inherit their creator's, so setting it later from the host would
// only reach the main thread.
try {
  os.setPriority(0, os.constants.priority.PRIORITY_LOW);
} catch {
  // Not permitted here (some containers): training still works, just at normal priority.
}

const controller = new AbortController();
let started = false;

function send(message: TrainerToHost): void {
  process.send?.(message);
}

/** Sends the last message and resolves once it is written, so disconnecting cannot lose it. */
function sendLast(message: TrainerToHost): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function train(request: TrainingRequest): Promise<void> {
  const result = await runTrainingSession(
    {
      paths: request.paths,
      out: request.out,
      preset: request.preset,
      resume: request.resume,
      overwrite: request.overwrite,
      fineTune: request.fineTune ?? false,
      writer: 'the Charm extension (VS Code)',
      backend: request.backend,
      options: { maxSeconds: request.maxSeconds, maxSteps: request.maxSteps, evalEvery: request.evalEvery },
      corpus: {
        exclude: request.corpus.exclude,
        secretPatterns: request.corpus.secretPatterns,
        maxFileBytes: request.corpus.maxFileBytes,
      },
      signal: controller.signal,
    },
    {
      onStart: (info) =>
        send({
          type: 'started',
          info: {
            backend: info.backend.name,
            backendDetail: info.backend.detail,
            parameters: info.parameters,
            model: {
              cell: info.model.cell,
              layers: info.model.layers,
              units: info.model.units,
              embedding: info.model.embedding,
              vocabSize: info.model.vocabSize,
            },
            corpusSummary: info.corpusSummary,
            files: info.corpus.files,
            chars: info.corpus.chars,
            resumed: info.resumed,
            fineTuning: info.fineTuning,
            startStep: info.startStep,
          },
        }),
      onStep: (e) =>
        send({ type: 'step', step: e.step, epoch: e.epoch, loss: e.loss, progress: e.progress, etaSeconds: e.etaSeconds, charsPerSec: e.charsPerSec }),
      onEval: (e) => send({ type: 'eval', step: e.step, valLoss: e.valLoss, valAccuracy: e.valAccuracy, best: e.best }),
      onCheckpoint: (e) => send({ type: 'checkpoint', step: e.step, path: e.path, best: e.best }),
      onWarning: (message) => send({ type: 'warning', message }),
    },
  );
  await sendLast({
    type: 'done',
    stopReason: result.stopReason,
    step: result.progress.step,
    stepsThisRun: result.stepsThisRun,
    bestValLoss: result.progress.bestValLoss,
  });
}

function finish(code: number): void {
  process.exitCode = code;
  if (process.connected) process.disconnect();
  // tfjs's wasm workers are unref'ed, so the process normally ends by itself; this is the backstop.
  setTimeout(() => process.exit(code), 2000).unref();
}

function handle(message: HostToTrainer): void {
  if (message.type === 'stop') {
    controller.abort();
    return;
  }
  if (started) return;
  started = true;
  // One job per process: a training run, or an adaptation to saved files (which a 'stop' ends without writing).
  const job = message.type === 'train' ? train(message.job) : runAdaptation(message.job, controller.signal).then(sendLast);
  job.then(
    () => finish(0),
    (e: unknown) => {
      const aborted = controller.signal.aborted && !(e instanceof CharmError);
      if (aborted) {
        // Stopped before the first step (while reading files): nothing was trained, nothing lost.
        void sendLast({ type: 'done', stopReason: 'interrupted', step: 0, stepsThisRun: 0, bestValLoss: null }).then(() => finish(0));
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      void sendLast({ type: 'failed', message, userError: e instanceof CharmError }).then(() => finish(1));
    },
  );
}

process.on('message', (message: unknown) => {
  if (isHostToTrainer(message)) handle(message);
});
process.on('disconnect', () => {
  controller.abort();
  // Nothing started: no reason to stay.
  if (!started) process.exit(0);
});
