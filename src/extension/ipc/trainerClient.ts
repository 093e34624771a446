/**
 * The host's side of the trainer process, which runs one training: start it, follow its events,
 * stop it (it saves a checkpoint first; a kill timer is the last resort), and learn how it ended,
 * crash included.
 */
import { ChildChannel, ChildOptions, describeExit } from './childProcess';
import { HostToTrainer, isTrainerToHost, TrainerToHost, TrainingRequest, TrainStartInfo } from '../protocol';

type Msg<T extends TrainerToHost['type']> = Extract<TrainerToHost, { type: T }>;

export interface TrainerClientEvents {
  onStarted?(info: TrainStartInfo): void;
  onStep?(e: Msg<'step'>): void;
  onEval?(e: Msg<'eval'>): void;
  onCheckpoint?(e: Msg<'checkpoint'>): void;
  onWarning?(message: string): void;
}

export type TrainingOutcome =
  | { kind: 'finished'; stopReason: string; step: number; stepsThisRun: number; bestValLoss: number | null }
  | { kind: 'failed'; message: string; userError: boolean }
  /** The process died without saying why (crash, out of memory, killed). */
  | { kind: 'crashed'; reason: string };

export class TrainerClient {
  readonly outcome: Promise<TrainingOutcome>;
  private readonly channel: ChildChannel<HostToTrainer, TrainerToHost>;
  private stopRequested = false;

  constructor(request: TrainingRequest, child: ChildOptions, events: TrainerClientEvents = {}) {
    this.channel = new ChildChannel<HostToTrainer, TrainerToHost>(child, isTrainerToHost);
    let reported: TrainingOutcome | undefined;
    this.channel.onMessage((m) => {
      switch (m.type) {
        case 'started':
          return events.onStarted?.(m.info);
        case 'step':
          return events.onStep?.(m);
        case 'eval':
          return events.onEval?.(m);
        case 'checkpoint':
          return events.onCheckpoint?.(m);
        case 'warning':
          return events.onWarning?.(m.message);
        case 'done':
          reported = { kind: 'finished', stopReason: m.stopReason, step: m.step, stepsThisRun: m.stepsThisRun, bestValLoss: m.bestValLoss };
          return;
        case 'failed':
          reported = { kind: 'failed', message: m.message, userError: m.userError };
          return;
      }
    });
    this.outcome = this.channel.whenExited().then((exit) => {
      if (reported) return reported;
      if (this.stopRequested && exit.signal === 'SIGKILL') {
        return { kind: 'crashed', reason: 'it did not stop in time and was killed; the previous checkpoint is kept' };
      }
      return { kind: 'crashed', reason: describeExit(exit) };
    });
    // If the process could not start, send() returns false and the exit handler reports it.
    this.channel.send({ type: 'train', job: request });
  }

  get pid(): number | undefined {
    return this.channel.pid;
  }

  /** Asks the run to stop after saving; kills it if it has not ended after `killAfterMs`. */
  stop(killAfterMs = 30_000): Promise<TrainingOutcome> {
    if (!this.stopRequested && this.channel.alive) {
      this.stopRequested = true;
      this.channel.send({ type: 'stop' });
      const timer = setTimeout(() => this.channel.kill('SIGKILL'), killAfterMs);
      void this.channel.whenExited().then(() => clearTimeout(timer));
    }
    return this.outcome;
  }

  /** Kills at once (the last checkpoint on disk stays). */
  kill(): void {
    this.channel.kill('SIGKILL');
  }
}
