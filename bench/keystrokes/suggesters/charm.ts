/**
 * Charm as the editor runs it: each request built by completionInputFrom (as host/inlineProvider.ts
 * does) and answered by CompletionService (cache, typed-through reuse, trimming, threshold) over
 * the completion engine in this process (LocalCompletionModel).
 */
import * as path from 'node:path';
import type { BackendChoice } from '../../../src/accel';
import { adaptModel } from '../../../src/training/adapt';
import { NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { CompletionService } from '../../../src/extension/completion/completionService';
import type { DecisionRule } from '../../../src/extension/completion/decision';
import { completionInputFrom } from '../../../src/extension/completion/input';
import type { LocalCompletionModel } from '../../../src/extension/inference/localModel';
import { BENCH_INLINE } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';

/**
 * Continuous learning of the LSTM: each saved file adapts the LSTM in use (`steps` Adam steps at
 * `learningRate`, with the product's adaptModel, as the extension does after saves), which then
 * replaces it.
 */
export interface FineTune {
  steps: number;
  learningRate: number;
  /** The checkpoint folder the session starts from. */
  baseModelDir: string;
  backend?: BackendChoice;
  /** Each adaptation writes `<scratch>/model-<k>/adapted/`. */
  scratch: string;
}

export class CharmSuggester implements Suggester {
  private service: CompletionService;
  /** A new service per simulated user: the calibration it learns from one user must not help the next on the same files. */
  private readonly newService: () => CompletionService;
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
    levers: { decision?: DecisionRule; minConfidence?: number; calibration?: number; multiline?: boolean; maxLength?: number; learnSaved?: boolean } = {},
    private readonly fineTune?: FineTune,
  ) {
    this.modelDir = fineTune?.baseModelDir;
    this.learnSaved = levers.learnSaved ?? true;
    const settings = {
      ...BENCH_INLINE,
      minConfidence: levers.minConfidence ?? BENCH_INLINE.minConfidence,
      multiline: levers.multiline ?? BENCH_INLINE.multiline,
      maxLength: levers.maxLength ?? BENCH_INLINE.maxLength,
    };
    this.newService = () => new CompletionService(model, () => settings, { decision: levers.decision ?? 'expected', calibration: levers.calibration });
    this.service = this.newService();
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
    this.service = this.newService();
    this.model.forgetSaved();
    if (this.fineTune && this.modelDir !== this.fineTune.baseModelDir) {
      this.modelDir = this.fineTune.baseModelDir;
      await this.model.replaceModel(this.modelDir);
    }
  }

  private async fineTuneOn(f: FineTune, file: { rel: string; text: string }): Promise<void> {
    const k = this.fineTunes++;
    const out = path.join(f.scratch, `model-${k}`);
    // No wall-clock bound here: the benchmark measures the steps, not this machine's speed.
    const result = await adaptModel({
      from: this.modelDir as string,
      texts: [{ path: file.rel, text: file.text }],
      out,
      steps: f.steps,
      learningRate: f.learningRate,
      maxSeconds: 3600,
      seed: k + 1,
      backend: f.backend,
    });
    if (!result.written) return; // The steps did not lower the loss on the file: the model in use stays.
    this.modelDir = result.dir;
    await this.model.replaceModel(result.dir);
  }
}
