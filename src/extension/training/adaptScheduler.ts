/**
 * When the LSTM adapts to saved files: a while after the last save (debounced), on the files saved
 * since (the newest, within a character budget), one adaptation at a time, never while a training
 * runs (training reads those files anyway), and not at all when the owner says no (the setting,
 * no model). VS Code-free with an injected clock, so it is unit-tested; host/charm.ts wires it.
 */
import { ADAPT_DEFAULTS } from '../../training/adaptLimits';

export interface SchedulerClock {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A running adaptation, as the scheduler sees it. */
export interface RunningAdaptation {
  /** Settles when it has ended, however it ended. */
  done: Promise<unknown>;
  /** Stops it (nothing is written) and resolves once it is gone. */
  stop(): Promise<void>;
}

export interface AdaptSchedulerOwner {
  clock: SchedulerClock;
  /** Whether saved files may be adapted to now: the setting is on, the model exists, no training runs. */
  canAdapt(): boolean;
  /** Starts one adaptation on these files, oldest first. */
  start(files: string[]): RunningAdaptation;
}

export class AdaptScheduler {
  /** File -> its length when saved; insertion order is save order (a file saved again moves to the end). */
  private readonly pending = new Map<string, number>();
  private timer: unknown;
  private running: RunningAdaptation | undefined;
  private disposed = false;

  constructor(
    private readonly owner: AdaptSchedulerOwner,
    private readonly limits = { debounceMs: ADAPT_DEFAULTS.debounceMs, maxChars: ADAPT_DEFAULTS.maxChars },
  ) {}

  /** What is waiting and running (for tests and the log). */
  get state(): { pending: string[]; scheduled: boolean; running: boolean } {
    return { pending: [...this.pending.keys()], scheduled: this.timer !== undefined, running: this.running !== undefined };
  }

  /** A file was saved (`chars` long): adapt to it after the quiet time, with the others saved meanwhile. */
  saved(file: string, chars: number): void {
    if (this.disposed || !this.owner.canAdapt()) return;
    this.pending.delete(file);
    this.pending.set(file, chars);
    let total = [...this.pending.values()].reduce((a, b) => a + b, 0);
    // The oldest go first; the newest file stays even alone over the budget (the engine keeps its end).
    for (const [oldest, n] of this.pending) {
      if (total <= this.limits.maxChars || this.pending.size === 1) break;
      this.pending.delete(oldest);
      total -= n;
    }
    this.schedule();
  }

  /** Before a training (or deleting the model): nothing waits, and a running adaptation is stopped and gone. */
  async cancel(): Promise<void> {
    this.clearTimer();
    this.pending.clear();
    await this.running?.stop();
  }

  /** The window closes: stop everything (the adaptation process also ends by itself without its host). */
  dispose(): void {
    this.disposed = true;
    this.clearTimer();
    this.pending.clear();
    void this.running?.stop();
  }

  private schedule(): void {
    this.clearTimer();
    this.timer = this.owner.clock.setTimeout(() => this.fire(), this.limits.debounceMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.owner.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    // One at a time: the files wait for the running one, then their own quiet time.
    if (this.running || this.pending.size === 0) return;
    if (!this.owner.canAdapt()) {
      this.pending.clear();
      return;
    }
    const files = [...this.pending.keys()];
    this.pending.clear();
    const run = this.owner.start(files);
    this.running = run;
    const after = () => {
      if (this.running === run) this.running = undefined;
      if (!this.disposed && this.pending.size > 0) this.schedule();
    };
    run.done.then(after, after);
  }
}
