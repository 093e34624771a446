/**
 * Charm as the editor runs it: each request built by completionInputFrom (as host/inlineProvider.ts
 * does) and answered by CompletionService (cache, typed-through reuse, trimming, threshold) over
 * the completion engine in this process (LocalCompletionModel).
 */
import * as path from 'node:path';
import { NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { CompletionService } from '../../../src/extension/completion/completionService';
import type { DecisionRule } from '../../../src/extension/completion/decision';
import { completionInputFrom } from '../../../src/extension/completion/input';
import type { LocalCompletionModel } from '../../../src/extension/inference/localModel';
import { BENCH_INLINE } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';

export class CharmSuggester implements Suggester {
  private readonly service: CompletionService;
  /** Whether saved files teach the workspace memory (the extension's default; off for the ablation). */
  private readonly learnSaved: boolean;

  constructor(
    readonly name: string,
    private readonly model: LocalCompletionModel,
    /** The workspace folder the memory was built from: saved files are written there. */
    private readonly workspaceDir: string,
    levers: { decision?: DecisionRule; minConfidence?: number; calibration?: number; learnSaved?: boolean } = {},
  ) {
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
    if (!this.learnSaved) return;
    const outcome = await this.model.learnSavedFile(path.join(this.workspaceDir, file.rel), Buffer.from(file.text, 'utf8'));
    if (outcome !== 'learned') throw new Error(`bench: the saved file ${file.rel} was not learned (${outcome ?? 'no workspace memory'})`);
  }

  startSession(): void {
    this.model.forgetSaved();
  }
}
