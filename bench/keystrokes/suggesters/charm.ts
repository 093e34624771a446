/**
 * Charm as the editor runs it: each request built by completionInputFrom (as host/inlineProvider.ts
 * does) and answered by CompletionService (cache, typed-through reuse, trimming, threshold) over
 * the completion engine in this process (LocalCompletionModel).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCheckpoint } from '../../../src/extension/modelStore';
import { NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { CompletionService } from '../../../src/extension/completion/completionService';
import type { DecisionRule } from '../../../src/extension/completion/decision';
import { completionInputFrom } from '../../../src/extension/completion/input';
import type { LocalCompletionModel } from '../../../src/extension/inference/localModel';
import { BENCH_INLINE } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';

/**
 * The continuous-learning experiment: each saved file fine-tunes the LSTM in use (`steps` Adam steps
 * at `learningRate`, with `charm train --fine-tune` on a copy), which then replaces it.
 */
export interface FineTune {
  steps: number;
  learningRate: number;
  /** The checkpoint folder the session starts from. */
  baseModelDir: string;
  /** The CLI (bin/charm.js) and a scratch folder. */
  cli: string;
  scratch: string;
}

export class CharmSuggester implements Suggester {
  private readonly service: CompletionService;
  /** The checkpoint folder in use (fine-tuned copies replace it). */
  private modelDir: string | undefined;
  private fineTunes = 0;
  /** Whether saved files teach the workspace memory (the extension's default; off for the ablation). */
  private readonly learnSaved: boolean;

  constructor(
    readonly name: string,
    private readonly model: LocalCompletionModel,
    /** The workspace folder the memory was built from: saved files are written there. */
    private readonly workspaceDir: string,
    levers: { decision?: DecisionRule; minConfidence?: number; calibration?: number; learnSaved?: boolean } = {},
    private readonly fineTune?: FineTune,
  ) {
    this.modelDir = fineTune?.baseModelDir;
    this.learnSaved = levers.learnSaved ?? true;
    const settings = { ...BENCH_INLINE, minConfidence: levers.minConfidence ?? BENCH_INLINE.minConfidence };
    this.service = new CompletionService(model, () => settings, { decision: levers.decision ?? 'expected', calibration: levers.calibration });
  }

  open(): void {
    // Nothing to do: the service and the engine key their state by document.
  }

  async suggest(at: Cursor): Promise<Suggestion | undefined> {
    const input = completionInputFrom({
      doc: at.doc,
      version: at.version,
      languageId: at.languageId,
      offset: at.before.length,
      before: at.before,
      after: '',
      nextLine: undefined,
    });
    const outcome = await this.service.provide(input, NEVER_CANCELLED);
    return outcome.kind === 'suggestion' ? { text: outcome.text, probability: outcome.confidence } : undefined;
  }

  entered(): void {
    // The engine reads the document from each request's text before the cursor.
  }

  close(doc: string): void {
    this.service.forget(doc);
    this.model.forget(doc);
  }

  async saved(file: { rel: string; text: string }): Promise<void> {
    if (this.fineTune) await this.fineTuneOn(this.fineTune, file);
    if (!this.learnSaved) return;
    const outcome = await this.model.learnSavedFile(path.join(this.workspaceDir, file.rel), Buffer.from(file.text, 'utf8'));
    if (outcome !== 'learned') throw new Error(`bench: the saved file ${file.rel} was not learned (${outcome ?? 'no workspace memory'})`);
  }

  async startSession(): Promise<void> {
    this.model.forgetSaved();
    if (this.fineTune && this.modelDir !== this.fineTune.baseModelDir) {
      this.modelDir = this.fineTune.baseModelDir;
      await this.model.replaceModel(this.modelDir);
    }
  }

  private async fineTuneOn(f: FineTune, file: { rel: string; text: string }): Promise<void> {
    const k = this.fineTunes++;
    const data = path.join(f.scratch, `data-${k}`);
    const out = path.join(f.scratch, `model-${k}`);
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, path.basename(file.rel)), file.text);
    // The copy resumes from the checkpoint in use (its latest/ is that checkpoint).
    fs.cpSync(findCheckpoint(this.modelDir as string) as string, path.join(out, 'latest'), { recursive: true });
    const args = [f.cli, 'train', data, '--out', out, '--fine-tune', '--max-steps', String(f.steps), '--learning-rate', String(f.learningRate)];
    const run = spawnSync(process.execPath, [...args, '--val-fraction', '0', '--schedule', 'none', '--seed', String(k + 1)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`bench: fine-tuning failed: ${run.stderr}`);
    this.modelDir = out;
    await this.model.replaceModel(out);
  }
}
