/**
 * The host's side of one background adaptation to saved files: a trainer process (forked at low
 * priority, like a training) given the 'adapt' job, and how it ended. Stopping it writes nothing:
 * the previous adapted/ (or best/) stays in use.
 */
import { ChildChannel, ChildOptions, describeExit } from './childProcess';
import { AdaptationRequest, HostToTrainer, isTrainerToHost, TrainerToHost } from '../protocol';

export type AdaptationOutcome =
  | Extract<TrainerToHost, { type: 'adapted' }>
  | { type: 'failed'; message: string }
  /** Stopped before it began (no text read yet), or the process died. */
  | { type: 'ended'; reason: string };

/** A stopped adaptation that has not exited after this long is killed (it writes nothing useful by then). */
const KILL_AFTER_MS = 5_000;

export class AdaptationClient {
  readonly outcome: Promise<AdaptationOutcome>;
  private readonly channel: ChildChannel<HostToTrainer, TrainerToHost>;

  constructor(request: AdaptationRequest, child: ChildOptions) {
    this.channel = new ChildChannel<HostToTrainer, TrainerToHost>(child, isTrainerToHost);
    let reported: AdaptationOutcome | undefined;
    this.channel.onMessage((m) => {
      if (m.type === 'adapted') reported = m;
      else if (m.type === 'failed') reported = { type: 'failed', message: m.message };
      else if (m.type === 'done') reported = { type: 'ended', reason: 'stopped' };
    });
    this.outcome = this.channel.whenExited().then((exit) => reported ?? { type: 'ended', reason: describeExit(exit) });
    this.channel.send({ type: 'adapt', job: request });
  }

  /** Asks it to stop (nothing is written) and resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.channel.alive) {
      this.channel.send({ type: 'stop' });
      const timer = setTimeout(() => this.channel.kill('SIGKILL'), KILL_AFTER_MS);
      await this.channel.whenExited();
      clearTimeout(timer);
    }
    await this.outcome;
  }
}
