import { CharmError } from '../errors';

/** The hyperparameters of one training run (the CLI's flags). Budgets (epochs, maxSteps, maxSeconds) count from the run's start, resumed or not. */
export interface Hyperparameters {
  seqLength: number;
  batchSize: number;
  learningRate: number;
  /** 'cosine' decays the rate to a tenth over the run's budget; 'none' keeps it constant. */
  schedule: 'cosine' | 'none';
  clipNorm: number;
  epochs?: number;
  maxSteps?: number;
  maxSeconds?: number;
  valFraction: number;
  evalEvery: number;
  /** Evaluations without improvement before the rate halves (or, once it is at a tenth, training stops); 0: never. */
  patience: number;
  /** Validation characters per evaluation (the whole held-out tail when it is smaller). */
  maxEvalChars: number;
  seed: number;
}

export const DEFAULT_HYPERPARAMETERS: Omit<Hyperparameters, 'seqLength' | 'batchSize' | 'learningRate'> = {
  schedule: 'cosine',
  clipNorm: 5,
  valFraction: 0.1,
  evalEvery: 200,
  patience: 5,
  maxEvalChars: 131072,
  seed: 1,
};

/** With no budget at all, a run stops after this many epochs. */
export const DEFAULT_EPOCHS = 10;

export function validateHyperparameters(o: Hyperparameters): void {
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new CharmError(message);
  };
  const intAtLeast = (v: number | undefined, min: number) => v === undefined || (Number.isInteger(v) && v >= min);
  check(intAtLeast(o.seqLength, 1) && o.seqLength <= 10000, `--seq-length must be an integer from 1 to 10000, got ${o.seqLength}`);
  check(intAtLeast(o.batchSize, 1) && o.batchSize <= 4096, `--batch-size must be an integer from 1 to 4096, got ${o.batchSize}`);
  check(Number.isFinite(o.learningRate) && o.learningRate > 0 && o.learningRate < 1, `--learning-rate must be a number in (0, 1), got ${o.learningRate}`);
  check(Number.isFinite(o.clipNorm) && o.clipNorm > 0, `Gradient clip norm must be positive, got ${o.clipNorm}`);
  check(o.epochs === undefined || (Number.isFinite(o.epochs) && o.epochs > 0), `--epochs must be a positive number, got ${o.epochs}`);
  check(intAtLeast(o.maxSteps, 1), `--max-steps must be a positive integer, got ${o.maxSteps}`);
  check(o.maxSeconds === undefined || (Number.isFinite(o.maxSeconds) && o.maxSeconds > 0), `--max-seconds must be a positive number, got ${o.maxSeconds}`);
  check(Number.isFinite(o.valFraction) && o.valFraction >= 0 && o.valFraction < 1, `--val-fraction must be in [0, 1), got ${o.valFraction}`);
  check(intAtLeast(o.evalEvery, 1), `--eval-every must be a positive integer, got ${o.evalEvery}`);
  check(intAtLeast(o.patience, 0), `--patience must be a non-negative integer, got ${o.patience}`);
  check(Number.isInteger(o.seed), `--seed must be an integer, got ${o.seed}`);
  check(o.schedule === 'cosine' || o.schedule === 'none', `Unknown schedule ${String(o.schedule)}: expected cosine or none`);
}
