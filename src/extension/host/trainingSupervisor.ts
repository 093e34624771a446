/**
 * Runs one training at a time in its own process and shows it: a progress notification with a
 * Cancel button (Cancel = stop after saving), the status bar, and a message when it ends (with
 * what happened if the process died; its last checkpoint stays on disk and keeps serving).
 */
import * as vscode from 'vscode';
import { formatDuration, formatLoss } from '../../util/format';
import type { ChildOptions } from '../ipc/childProcess';
import { TrainerClient, TrainingOutcome } from '../ipc/trainerClient';
import { readModelSummary } from '../modelStore';
import type { TrainingRequest } from '../protocol';
import type { TrainingStatus } from '../status';
import type { Logger } from './logger';

export interface TrainingSupervisorHooks {
  /** Training wrote a new best checkpoint (reload the completion model). */
  onBestCheckpoint(): void;
  /** Progress changed or training ended (refresh the status bar and the model view). */
  onChange(): void;
  /** The run ended, however it ended. */
  onEnded(outcome: TrainingOutcome): void;
}

const REASONS: Record<string, string> = {
  budget: 'the time budget (charm.training.maxMinutes) is used up',
  'early-stopping': 'the validation loss stopped improving',
  interrupted: 'stopped; checkpoint saved',
  diverged: 'the loss kept diverging',
};

export class TrainingSupervisor implements vscode.Disposable {
  private client: TrainerClient | undefined;
  private statusValue: TrainingStatus | undefined;

  constructor(
    private readonly child: ChildOptions,
    private readonly hooks: TrainingSupervisorHooks,
    private readonly log: Logger,
  ) {}

  get running(): boolean {
    return this.client !== undefined;
  }

  get status(): TrainingStatus | undefined {
    return this.statusValue;
  }

  /** Starts a run (there must be none running) and shows its progress; resolves when it ends. */
  start(request: TrainingRequest, title: string): Promise<TrainingOutcome> {
    if (this.client) throw new Error('A training is already running');
    this.statusValue = { progress: 0, step: 0, loss: null, etaSeconds: null, stopping: false };
    this.log.info(
      `training: ${title}; ${JSON.stringify({ ...request, corpus: { ...request.corpus, secretPatterns: `${request.corpus.secretPatterns.length} patterns` } })}`,
    );
    let report: ((message: string, percent: number) => void) | undefined;
    let lastUiUpdate = 0;
    const client = new TrainerClient(request, this.child, {
      onStarted: (info) => {
        const what = info.resumed ? (info.fineTuning ? `fine-tuning from step ${info.startStep}` : `resuming from step ${info.startStep}`) : 'a new model';
        this.log.info(
          `training started: ${what}; ${info.corpusSummary}; ${info.model.cell} ${info.model.layers}x${info.model.units}, ${info.parameters} parameters; backend ${info.backendDetail}`,
        );
        report?.(`${what}: ${info.corpusSummary}`, 0);
      },
      onStep: (e) => {
        const s = this.statusValue;
        if (!s) return;
        Object.assign(s, { progress: e.progress, step: e.step, loss: e.loss, etaSeconds: e.etaSeconds });
        // Steps can come many times a second: redraw at most twice a second.
        const now = Date.now();
        if (now - lastUiUpdate < 500) return;
        lastUiUpdate = now;
        report?.(`step ${e.step} · loss ${formatLoss(e.loss)} · ETA ${formatDuration(e.etaSeconds)}`, e.progress * 100);
        this.hooks.onChange();
      },
      onEval: (e) => this.log.info(`step ${e.step}: validation loss ${formatLoss(e.valLoss)}${e.best ? ' (best)' : ''}`),
      onCheckpoint: (e) => {
        this.log.info(`checkpoint ${e.best ? 'best' : 'latest'} at step ${e.step}: ${e.path}`);
        if (e.best) this.hooks.onBestCheckpoint();
      },
      onWarning: (message) => this.log.warn(`training: ${message}`),
    });
    this.client = client;
    this.log.info(`training process ${client.pid ?? '?'} started`);

    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Charm: ${title}`, cancellable: true }, (progress, token) => {
      let shown = 0;
      report = (message, percent) => {
        const increment = Math.max(0, Math.floor(percent) - shown);
        shown += increment;
        progress.report({ message, increment });
      };
      report('reading files…', 0);
      token.onCancellationRequested(() => void this.stop());
      return client.outcome;
    });
    this.hooks.onChange();

    return client.outcome.then((outcome) => {
      this.client = undefined;
      this.statusValue = undefined;
      this.log.info(`training ended: ${JSON.stringify(outcome)}`);
      this.announce(outcome, request.out);
      this.hooks.onEnded(outcome);
      this.hooks.onChange();
      return outcome;
    });
  }

  /** Asks the run to stop after saving a checkpoint (killed after a timeout as a last resort). */
  async stop(killAfterMs = 60_000): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (this.statusValue) this.statusValue.stopping = true;
    this.hooks.onChange();
    await client.stop(killAfterMs);
  }

  private announce(outcome: TrainingOutcome, root: string): void {
    const summary = readModelSummary(root);
    switch (outcome.kind) {
      case 'finished': {
        const best = summary?.meta.progress.bestValLoss;
        const msg =
          `Charm: training ${outcome.stopReason === 'interrupted' ? 'stopped' : 'finished'} at step ${outcome.step} (${REASONS[outcome.stopReason] ?? outcome.stopReason}). ` +
          `Validation loss ${formatLoss(best)} nats/char.`;
        void vscode.window.showInformationMessage(msg, 'Show Model').then((pick) => {
          if (pick) void vscode.commands.executeCommand('charm.showModel');
        });
        return;
      }
      case 'failed':
        void vscode.window.showErrorMessage(`Charm: training failed: ${outcome.message}`);
        return;
      case 'crashed': {
        const kept = summary ? ` The last checkpoint (step ${summary.meta.progress.step}) is kept and still used for completions.` : '';
        void vscode.window.showErrorMessage(`Charm: the training process stopped unexpectedly: ${outcome.reason}.${kept}`, 'Show Log').then((pick) => {
          if (pick) this.log.show();
        });
      }
    }
  }

  /** On shutdown: ask the run to save and stop. It also stops by itself when the window goes. */
  async dispose(): Promise<void> {
    const client = this.client;
    if (!client) return;
    client.stop(60_000).catch(() => undefined);
    // VS Code gives deactivate a few seconds; the process finishes saving on its own.
    await Promise.race([client.outcome, new Promise((r) => setTimeout(r, 4000))]);
  }
}
