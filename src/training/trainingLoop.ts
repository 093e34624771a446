/**
 * The training loop: batches -> loss and gradients -> clipping -> Adam, with periodic evaluation,
 * best/latest checkpoints, a plateau rule (halve the rate, stop once it is low), a guard against NaN
 * or exploding loss, budgets, and interruption that saves before returning. A time budget covers
 * the final evaluation and save: training stops early enough for them (their duration is measured
 * at each evaluation).
 */
import * as tf from '@tensorflow/tfjs';
import { CharModel } from '../model/charModel';
import { Adam, AdamState, clipByGlobalNorm } from './adam';
import { CheckpointKind, freshProgress, LossHistory, TrainingProgress } from './checkpoint';
import { CharDataset } from './dataset';
import { DEFAULT_EPOCHS, Hyperparameters } from './hyperparameters';
import { TimeBudget } from './timeBudget';

export interface StepEvent {
  step: number;
  epoch: number;
  loss: number;
  charsPerSec: number;
  learningRate: number;
  elapsedSeconds: number;
  /** Fraction of this run's budget used, 0..1. */
  progress: number;
  etaSeconds: number;
}

export interface EvalEvent {
  step: number;
  /** Null when the corpus has no validation part: then `loss` is the recent training loss. */
  valLoss: number | null;
  valAccuracy: number | null;
  loss: number;
  best: boolean;
}

export type StopReason = 'budget' | 'early-stopping' | 'interrupted' | 'diverged';

export interface TrainingLoopResult {
  stopReason: StopReason;
  stepsThisRun: number;
  progress: TrainingProgress;
  history: LossHistory;
}

export interface TrainingLoopHooks {
  onStep?(event: StepEvent): void;
  onEval?(event: EvalEvent): void;
  onWarning?(message: string): void;
  /** Persists the model; the loop passes the optimizer state for `latest`. */
  save(kind: CheckpointKind, state: { progress: TrainingProgress; history: LossHistory; optimizer?: AdamState }): Promise<void>;
}

export interface TrainingLoopStart {
  /** When the time budget began, on the loop's clock (default: when run() starts). */
  budgetStartedAt?: number;
  progress?: TrainingProgress;
  history?: LossHistory;
  optimizer?: AdamState;
}

const MAX_RECOVERIES = 8;

/** The cosine schedule's last rate, as a fraction of the base: below it, a plateau ends the run. */
const PLATEAU_FLOOR = 0.1;

export class TrainingLoop {
  private readonly optimizer: Adam;
  private readonly progress: TrainingProgress;
  private readonly history: LossHistory;
  private snapshot: { weights: tf.Tensor[]; optimizer: AdamState } | null = null;
  private readonly budgetStartedAt: number | undefined;

  constructor(
    private readonly model: CharModel,
    private readonly dataset: CharDataset,
    private readonly options: Hyperparameters,
    start: TrainingLoopStart = {},
    /** Seconds on a monotonic clock; tests pass their own. */
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.optimizer = new Adam(model.variables);
    if (start.optimizer) this.optimizer.setState(start.optimizer);
    this.progress = start.progress ? { ...start.progress } : freshProgress();
    this.budgetStartedAt = start.budgetStartedAt;
    this.history = start.history ? { train: [...start.history.train], val: [...start.history.val] } : { train: [], val: [] };
  }

  /** Runs until a budget is spent, patience runs out, the loss diverges or `signal` aborts. */
  async run(hooks: TrainingLoopHooks, signal?: AbortSignal): Promise<TrainingLoopResult> {
    const { options, dataset, progress } = this;
    const batches = dataset.batchesPerEpoch;
    const charsPerStep = options.batchSize * options.seqLength;
    const stepBudget = stepBudgetOf(options, batches);
    const budget = new TimeBudget({
      startedAt: this.budgetStartedAt ?? this.now(),
      maxSeconds: options.maxSeconds,
      now: () => this.now(),
      charsPerStep,
      evaluationChars: this.evaluationChars(),
    });
    const elapsedBefore = progress.elapsedSeconds;
    const fractionDone = (steps: number) => Math.min(1, Math.max(Number.isFinite(stepBudget) ? steps / stepBudget : 0, budget.fractionUsed()));

    let stepsThisRun = 0;
    let recoveries = 0;
    let lossSinceEval: number[] = [];
    let firstLoss: number | null = null;
    let stopReason: StopReason = 'budget';
    let evaluatedAtStep = -1;
    // char-rnn's rule: a loss above 3x the first one has exploded, as has a NaN.
    const isHealthy = (l: number, n: number) => Number.isFinite(l) && Number.isFinite(n) && !(firstLoss !== null && stepsThisRun > 10 && l > 3 * firstLoss);
    this.takeSnapshot();

    while (true) {
      if (signal?.aborted) {
        stopReason = 'interrupted';
        break;
      }
      // The first step always runs, so even a tiny budget leaves a trained (and measured) model;
      // a later one only if it should end within the budget.
      if (stepsThisRun >= stepBudget || (stepsThisRun > 0 && !budget.fitsAnotherStep())) break;

      const fraction = fractionDone(stepsThisRun);
      const learningRate = this.learningRate(fraction);
      const stepStart = this.now();
      const batch = dataset.trainBatch(progress.epoch, progress.batchInEpoch);
      const [loss, norm] = this.trainStep(batch.inputs, batch.targets, learningRate, isHealthy);
      const stepSeconds = this.now() - stepStart;
      const healthy = isHealthy(loss, norm);
      budget.stepTook(stepSeconds, healthy && stepsThisRun > 0);
      if (!healthy) {
        recoveries++;
        this.restoreSnapshot();
        progress.learningRateScale /= 2;
        hooks.onWarning?.(
          `Loss ${Number.isFinite(loss) ? 'exploded to ' + loss.toFixed(3) : 'became ' + loss} at step ${progress.step + 1}: ` +
            `restored the last good weights and halved the learning rate (now x${progress.learningRateScale})`,
        );
        if (recoveries > MAX_RECOVERIES) {
          stopReason = 'diverged';
          break;
        }
        // Skip past the batch that blew up.
        this.advancePosition(batches);
        await yieldToEventLoop();
        continue;
      }
      if (firstLoss === null) firstLoss = loss;
      recoveries = 0;
      stepsThisRun++;
      progress.step++;
      progress.charsSeen += charsPerStep;
      this.advancePosition(batches);
      lossSinceEval.push(loss);
      this.history.train.push([progress.step, loss]);
      progress.elapsedSeconds = elapsedBefore + budget.secondsUsed();
      const done = fractionDone(stepsThisRun);
      hooks.onStep?.({
        step: progress.step,
        epoch: progress.epoch,
        loss,
        charsPerSec: charsPerStep / Math.max(stepSeconds, 1e-9),
        learningRate,
        elapsedSeconds: progress.elapsedSeconds,
        progress: done,
        etaSeconds: done > 0 ? (budget.secondsUsed() * (1 - done)) / done : 0,
      });

      if (progress.step % options.evalEvery === 0) {
        const evalStart = this.now();
        const stop = await this.evaluateAndSave(hooks, lossSinceEval, learningRate);
        budget.reserveForFinalEvaluation(this.now() - evalStart);
        lossSinceEval = [];
        evaluatedAtStep = progress.step;
        if (stop) {
          stopReason = 'early-stopping';
          break;
        }
      }
      await yieldToEventLoop();
    }

    progress.elapsedSeconds = elapsedBefore + budget.secondsUsed();
    // An interrupted run saves at once (the user is waiting); a finished one evaluates first.
    const evaluate =
      stopReason !== 'interrupted' && stopReason !== 'diverged' && evaluatedAtStep !== progress.step && (stepsThisRun > 0 || progress.bestValLoss === null);
    if (evaluate) {
      // The run ends here: the plateau rule has nothing left to decide.
      await this.evaluateAndSave(hooks, lossSinceEval, 0);
    } else {
      await this.saveLatest(hooks);
    }
    this.disposeSnapshot();
    return { stopReason, stepsThisRun, progress: { ...progress }, history: this.history };
  }

  /** Characters one evaluation reads. */
  private evaluationChars(): number {
    return this.dataset.hasValidation ? Math.min(this.dataset.val.length, this.options.maxEvalChars) : 0;
  }

  private learningRate(fraction: number): number {
    const base = this.options.learningRate * this.progress.learningRateScale;
    if (this.options.schedule === 'none') return base;
    return base * (PLATEAU_FLOOR + (1 - PLATEAU_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * fraction)));
  }

  private advancePosition(batches: number): void {
    this.progress.batchInEpoch++;
    if (this.progress.batchInEpoch >= batches) {
      this.progress.batchInEpoch = 0;
      this.progress.epoch++;
    }
  }

  /** One update; returns [loss, gradient norm]. The update is applied only if `accept` agrees. */
  private trainStep(inputs: Int32Array, targets: Int32Array, learningRate: number, accept: (loss: number, norm: number) => boolean): [number, number] {
    const { batchSize, seqLength } = this.options;
    const variables = this.model.variables;
    return tf.tidy(() => {
      const x = tf.tensor2d(inputs, [batchSize, seqLength], 'int32');
      const y = tf.tensor2d(targets, [batchSize, seqLength], 'int32');
      const { value, grads } = tf.variableGrads(() => this.model.loss(x, y), variables);
      const ordered = variables.map((v) => grads[v.name]);
      const { clipped, norm } = clipByGlobalNorm(ordered, this.options.clipNorm);
      const [loss, normValue] = tf.stack([value, norm]).dataSync();
      if (accept(loss, normValue)) this.optimizer.apply(clipped, learningRate);
      return [loss, normValue];
    });
  }

  /**
   * Evaluates, records history, writes best/ (if improved) and latest/; returns true to stop early.
   * `learningRate` is the rate of the step just taken.
   */
  private async evaluateAndSave(hooks: TrainingLoopHooks, recentLosses: number[], learningRate: number): Promise<boolean> {
    const { progress, options } = this;
    const recent = recentLosses.length ? recentLosses.reduce((a, b) => a + b, 0) / recentLosses.length : NaN;
    let valLoss: number | null = null;
    let valAccuracy: number | null = null;
    if (this.dataset.hasValidation) {
      const result = evaluateBatches(
        this.model,
        this.dataset.validationBatches(options.maxEvalChars, evaluationBatchSize(options.batchSize, options.seqLength, this.model.config.units)),
      );
      valLoss = result.lossNats;
      valAccuracy = result.accuracy;
      this.history.val.push([progress.step, valLoss]);
    }
    const criterion = valLoss ?? recent;
    const best = Number.isFinite(criterion) && (progress.bestValLoss === null || criterion < progress.bestValLoss);
    if (best) {
      progress.bestValLoss = criterion;
      progress.bestStep = progress.step;
      progress.evalsWithoutImprovement = 0;
    } else {
      progress.evalsWithoutImprovement++;
    }
    hooks.onEval?.({ step: progress.step, valLoss, valAccuracy, loss: recent, best });
    // Decided before saving, so that latest/ holds the rate the run goes on with.
    const stop = this.afterPlateau(hooks, learningRate);
    if (best) await hooks.save('best', this.checkpointState(false));
    await this.saveLatest(hooks);
    if (Number.isFinite(criterion)) this.takeSnapshot();
    return stop;
  }

  /** True to stop: `patience` evaluations without improvement at the rate's floor. */
  private afterPlateau(hooks: TrainingLoopHooks, learningRate: number): boolean {
    const { progress, options } = this;
    if (!(options.patience > 0 && progress.evalsWithoutImprovement >= options.patience)) return false;
    // A plateau while the rate is still high is the rate's fault, not the data's: on a small corpus
    // the loss stalls long before a long budget's cosine has decayed (this repository's src/, 1x256:
    // 20 minutes stopped at 1.483 where 5 minutes, decayed in time, reached 1.427). So halve the rate
    // and go on; stop only once it is down at the schedule's floor.
    if (learningRate > PLATEAU_FLOOR * options.learningRate) {
      progress.learningRateScale /= 2;
      progress.evalsWithoutImprovement = 0;
      hooks.onWarning?.(
        `Validation loss has not improved for ${options.patience} evaluations (best ${progress.bestValLoss?.toFixed(4) ?? '-'} at step ${progress.bestStep ?? '-'}): ` +
          `halved the learning rate (now x${progress.learningRateScale})`,
      );
      return false;
    }
    return true;
  }

  private async saveLatest(hooks: TrainingLoopHooks): Promise<void> {
    const state = this.checkpointState(true);
    try {
      await hooks.save('latest', state);
    } finally {
      state.optimizer?.m.forEach((t) => t.dispose());
      state.optimizer?.v.forEach((t) => t.dispose());
    }
  }

  private checkpointState(withOptimizer: boolean): { progress: TrainingProgress; history: LossHistory; optimizer?: AdamState } {
    return {
      progress: { ...this.progress },
      history: this.history,
      optimizer: withOptimizer ? this.optimizer.getState() : undefined,
    };
  }

  private takeSnapshot(): void {
    this.disposeSnapshot();
    this.snapshot = { weights: this.model.variables.map((v) => tf.clone(v)), optimizer: this.optimizer.getState() };
  }

  private restoreSnapshot(): void {
    if (!this.snapshot) return;
    this.model.variables.forEach((v, k) => v.assign(this.snapshot!.weights[k]));
    this.optimizer.setState(this.snapshot.optimizer);
  }

  private disposeSnapshot(): void {
    if (!this.snapshot) return;
    this.snapshot.weights.forEach((t) => t.dispose());
    this.snapshot.optimizer.m.forEach((t) => t.dispose());
    this.snapshot.optimizer.v.forEach((t) => t.dispose());
    this.snapshot = null;
  }

  dispose(): void {
    this.disposeSnapshot();
    this.optimizer.dispose();
  }
}

/** Steps this run may take: --max-steps, or --epochs (DEFAULT_EPOCHS when no budget is given at all). */
function stepBudgetOf(options: Hyperparameters, batchesPerEpoch: number): number {
  const noBudget = options.epochs === undefined && options.maxSteps === undefined && options.maxSeconds === undefined;
  const epochs = noBudget ? DEFAULT_EPOCHS : options.epochs;
  return Math.min(options.maxSteps ?? Infinity, epochs !== undefined ? Math.max(1, Math.round(epochs * batchesPerEpoch)) : Infinity);
}

/** Sequences per evaluation batch: as many as keep one batch's gate activations near 64 MB. */
export function evaluationBatchSize(trainingBatch: number, seqLength: number, units: number): number {
  const rows = Math.floor((16 * 1024 * 1024) / (4 * units));
  return Math.max(trainingBatch, Math.min(512, Math.floor(rows / seqLength)));
}

export interface EvalResult {
  lossNats: number;
  bitsPerChar: number;
  accuracy: number;
  chars: number;
}

/** Mean loss and accuracy over batches, weighting every predicted character equally. */
export function evaluateBatches(
  model: CharModel,
  batches: Iterable<{ inputs: Int32Array; targets: Int32Array; batchSize: number; seqLength: number }>,
): EvalResult {
  let lossSum = 0;
  let hits = 0;
  let chars = 0;
  for (const b of batches) {
    const x = tf.tensor2d(b.inputs, [b.batchSize, b.seqLength], 'int32');
    const y = tf.tensor2d(b.targets, [b.batchSize, b.seqLength], 'int32');
    const r = model.evaluate(x, y);
    x.dispose();
    y.dispose();
    lossSum += r.lossSum;
    hits += r.hits;
    chars += b.batchSize * b.seqLength;
  }
  const lossNats = chars ? lossSum / chars : NaN;
  return { lossNats, bitsPerChar: lossNats / Math.LN2, accuracy: chars ? hits / chars : NaN, chars };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
