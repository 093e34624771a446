/**
 * A run's time budget, kept so that the final evaluation and save fit in it: training gets the
 * budget less the time they need (measured at each evaluation, estimated before the first one), and
 * a step starts only if it should end within that, as long as the last step took.
 */
export interface TimeBudgetOptions {
  /** When the budget began, on `now`'s clock. */
  startedAt: number;
  /** Undefined: no time limit. */
  maxSeconds: number | undefined;
  /** Seconds on a monotonic clock. */
  now: () => number;
  /** Characters one training step reads and one evaluation reads: an evaluation's first estimate scales with them. */
  charsPerStep: number;
  evaluationChars: number;
}

/** Spare time kept per second an evaluation and save took: the next may run slower on a busy machine. */
const MARGIN = 1.2;

export class TimeBudget {
  /** The final evaluation's and save's duration, with the margin, once one has been measured. */
  private reserved: number | null = null;
  /** The last step's duration, failed steps included: the first estimate of an evaluation scales with it. */
  private lastStepSeconds = 0;
  /**
   * The last good step's duration, for deciding whether another fits; not the run's first step's,
   * which includes warming up (compiling, starting threads).
   */
  private recentStepSeconds = 0;

  constructor(private readonly options: TimeBudgetOptions) {}

  secondsUsed(): number {
    return this.options.now() - this.options.startedAt;
  }

  /** Whether another step should end within the time for training, if it takes as long as the last one. */
  fitsAnotherStep(): boolean {
    return this.secondsUsed() + this.recentStepSeconds < this.secondsForTraining();
  }

  /** The share of the time for training used so far (0 without a time limit; above 1 once overrun). */
  fractionUsed(): number {
    return this.options.maxSeconds === undefined ? 0 : this.secondsUsed() / Math.max(this.secondsForTraining(), 1e-9);
  }

  /** Records a step's duration; `warm`: it was kept (not rolled back) and was not the run's first. */
  stepTook(seconds: number, warm: boolean): void {
    this.lastStepSeconds = seconds;
    if (warm) this.recentStepSeconds = seconds;
  }

  /** Keeps, for the final evaluation and save, the time an evaluation and save just took (with a margin). */
  reserveForFinalEvaluation(measuredSeconds: number): void {
    this.reserved = MARGIN * measuredSeconds;
  }

  /** Seconds for training steps: the budget less the time kept for the final evaluation and save. */
  private secondsForTraining(): number {
    const { maxSeconds } = this.options;
    return maxSeconds === undefined ? Infinity : Math.max(0, maxSeconds - this.secondsForFinalEvaluation());
  }

  private secondsForFinalEvaluation(): number {
    const { charsPerStep, evaluationChars } = this.options;
    return this.reserved ?? estimateEvaluationSeconds(this.lastStepSeconds, charsPerStep, evaluationChars);
  }
}

/**
 * An evaluation's duration before one was measured: a forward pass costs about a third of a
 * training step per character (the backward pass and the update are the rest); a second for the save.
 */
function estimateEvaluationSeconds(stepSeconds: number, charsPerStep: number, evalChars: number): number {
  return (stepSeconds * evalChars) / Math.max(1, charsPerStep) / 3 + 1;
}
