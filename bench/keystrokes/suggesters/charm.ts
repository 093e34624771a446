/**
 * Charm as the editor runs it: each request built by completionInputFrom (as host/inlineProvider.ts
 * does) and answered by CompletionService (cache, typed-through reuse, trimming, threshold) over
 * the completion engine in this process (LocalCompletionModel).
 */
import { NEVER_CANCELLED } from '../../../src/extension/completion/cancellation';
import { CompletionService } from '../../../src/extension/completion/completionService';
import type { DecisionRule } from '../../../src/extension/completion/decision';
import { completionInputFrom } from '../../../src/extension/completion/input';
import type { LocalCompletionModel } from '../../../src/extension/inference/localModel';
import { BENCH_INLINE } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';

export class CharmSuggester implements Suggester {
  private readonly service: CompletionService;

  constructor(
    readonly name: string,
    private readonly model: LocalCompletionModel,
    levers: { decision?: DecisionRule; minConfidence?: number; calibration?: number } = {},
  ) {
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
}
