/**
 * The inline-completion pipeline without VS Code: language switch, cache by document version and
 * position, the suggestion being typed through, debounce, newest-request-wins, the model call
 * (cancelled with the editor's token), then trimming and the decision of how much to show.
 * host/inlineProvider.ts adapts it to vscode.InlineCompletionItemProvider; the benchmark drives it
 * directly.
 */
import type { CompletionReply } from '../ipc/inferenceClient';
import type { CompleteRequest } from '../protocol';
import type { InlineSettings } from '../settings';
import { hash32 } from '../text';
import { CancelToken, delay } from './cancellation';
import { isLanguageEnabled } from './languages';
import { LatestRequests } from './latestRequests';
import { Lru } from './lru';
import { Calibration } from './calibration';
import { CALIBRATION_EXPONENT, decide, Decision, DecisionRule, uncalibrated } from './decision';
import { suggestionLooksSecret } from './secretFilter';
import { DropReason, trimCompletion } from './trimming';
import { TypeThrough } from './typeThrough';

/** What the provider knows at the cursor. */
export interface CompletionInput {
  doc: string;
  version: number;
  languageId: string;
  /** Cursor offset in the document. */
  offset: number;
  /** Text before the cursor (up to BEFORE_CHARS: see input.ts). */
  window: string;
  linePrefix: string;
  lineSuffix: string;
  nextLine?: string;
  /** The document's line end, used in multi-line suggestions. */
  eol: '\n' | '\r\n';
  /** Typed-on-demand (e.g. Alt+\): no debounce. */
  explicit?: boolean;
}

/** The model side: the inference client, or a fake in tests. */
export interface CompletionModel {
  readonly ready: boolean;
  complete(req: Omit<CompleteRequest, 'type' | 'id'>, token: CancelToken): Promise<CompletionReply | undefined>;
}

export type Outcome =
  /** `confidence`: the probability that the suggestion is right (model suggestions only). */
  | { kind: 'suggestion'; text: string; source: 'cache' | 'typed-through' | 'model'; confidence?: number; reply?: CompletionReply }
  | { kind: 'none'; why: 'disabled' | 'language-off' | 'no-model' | 'cancelled' | 'stale' | 'cached-none' | 'unsure' | 'secret' | DropReason; model?: string };

export interface ServiceOptions {
  /** How much of a continuation to show (the benchmark compares rules). */
  decision: DecisionRule;
  /** A fixed calibration exponent instead of the one learned from the user (the benchmark's ablation). */
  calibration?: number;
}

const CACHE_SIZE = 256;

export class CompletionService {
  private readonly cache = new Lru<string, Outcome>(CACHE_SIZE);
  private readonly latest = new LatestRequests();
  private readonly typeThrough = new TypeThrough();
  readonly calibration: Calibration;

  constructor(
    private readonly model: CompletionModel,
    private readonly settings: () => InlineSettings,
    private readonly options: ServiceOptions = { decision: 'expected' },
  ) {
    this.calibration = new Calibration(CALIBRATION_EXPONENT, options.calibration);
  }

  async provide(input: CompletionInput, token: CancelToken): Promise<Outcome> {
    const s = this.settings();
    if (!s.enabled) return { kind: 'none', why: 'disabled' };
    if (!isLanguageEnabled(s.languages, input.languageId)) return { kind: 'none', why: 'language-off' };
    if (!this.model.ready) return { kind: 'none', why: 'no-model' };
    // What was typed since the last suggestion tells whether it was right.
    this.calibration.observe(input.doc, input.offset, input.window);

    const key = `${input.doc}\u0000${input.version}\u0000${input.offset}`;
    const cached = this.cache.get(key);
    if (cached) return cached.kind === 'suggestion' ? { ...cached, source: 'cache' } : { kind: 'none', why: 'cached-none' };

    const rest = this.typeThrough.match(input.doc, input.offset, input.window);
    if (rest !== undefined) {
      const trimmed = trimCompletion(
        { text: rest, linePrefix: input.linePrefix, lineSuffix: input.lineSuffix, nextLine: input.nextLine },
        { maxLength: s.maxLength, multiline: s.multiline },
      );
      if ('text' in trimmed) {
        const outcome: Outcome = { kind: 'suggestion', text: this.withEol(trimmed.text, input.eol), source: 'typed-through' };
        this.cache.set(key, outcome);
        return outcome;
      }
    }

    const ticket = this.latest.begin(input.doc);
    try {
      if (!input.explicit && !(await delay(s.debounceMs, token))) return { kind: 'none', why: 'cancelled' };
      if (!this.latest.isLatest(input.doc, ticket)) return { kind: 'none', why: 'stale' };
      const textAfter = input.lineSuffix.trim() !== '';
      const reply = await this.model.complete(
        {
          doc: input.doc,
          window: input.window,
          contextChars: s.contextChars,
          offset: input.offset,
          maxChars: s.maxLength,
          stopAtNewline: !s.multiline || textAfter,
          temperature: s.temperature,
          // The same context gives the same suggestion, also when the temperature is above 0.
          seed: hash32(input.window.slice(-64)),
          // The search prunes on the model's own joint probability: the threshold, uncalibrated.
          minConfidence: uncalibrated(s.minConfidence, this.calibration.exponent),
        },
        token,
      );
      if (token.isCancellationRequested) return { kind: 'none', why: 'cancelled' };
      if (!this.latest.isLatest(input.doc, ticket)) return { kind: 'none', why: 'stale' };
      if (!reply) return { kind: 'none', why: 'cancelled' };
      const trimmed = trimCompletion(
        { text: reply.text, linePrefix: input.linePrefix, lineSuffix: input.lineSuffix, nextLine: input.nextLine },
        { maxLength: s.maxLength, multiline: s.multiline },
      );
      const decided = 'text' in trimmed ? this.decideOn(trimmed.text, reply, s.minConfidence) : undefined;
      // Never show a secret (or the placeholder training put in its place).
      const secret = decided !== undefined && suggestionLooksSecret(input.linePrefix, decided.text);
      const shown = secret ? undefined : decided;
      if (!shown) {
        // What the model said, for the log: why nothing shows is the first question users ask.
        // Nothing left because the model stopped where it became unsure: say so.
        const why = secret ? 'secret' : !('dropped' in trimmed) || (trimmed.dropped === 'empty' && reply.stoppedBy === 'unsure') ? 'unsure' : trimmed.dropped;
        // A secret is not written to the log either.
        const none: Outcome = secret ? { kind: 'none', why } : { kind: 'none', why, model: reply.text };
        this.cache.set(key, none);
        this.typeThrough.forget(input.doc);
        return none;
      }
      const outcome: Outcome = { kind: 'suggestion', text: this.withEol(shown.text, input.eol), source: 'model', confidence: shown.probability, reply };
      this.cache.set(key, outcome);
      this.typeThrough.remember(input.doc, input.offset, input.window, shown.text);
      this.calibration.shown(input.doc, input.offset, input.window, shown.text, shown.logP);
      return outcome;
    } finally {
      this.latest.end(input.doc, ticket);
    }
  }

  /** The model changed: nothing remembered is valid any more. */
  reset(): void {
    this.cache.clear();
    this.typeThrough.clear();
  }

  /** The document closed. */
  forget(doc: string): void {
    this.cache.deleteWhere((k) => k.startsWith(`${doc}\u0000`));
    this.typeThrough.forget(doc);
    this.latest.forget(doc);
    this.calibration.forget(doc);
  }

  /** The part of the trimmed continuation worth showing, if any. */
  private decideOn(text: string, reply: CompletionReply, minProbability: number): Decision | undefined {
    // Trimming keeps a prefix on one line: the character after it is the continuation's next one.
    const rest = reply.text.startsWith(text) ? reply.text.slice(text.length) : '';
    const next = rest !== '' ? rest : reply.text === text ? reply.next : '';
    return decide({ text, logProbs: reply.logProbs, next: Array.from(next)[0] ?? '' }, minProbability, this.options.decision, this.calibration.exponent);
  }

  private withEol(text: string, eol: '\n' | '\r\n'): string {
    return eol === '\n' ? text : text.replace(/\n/g, eol);
  }
}
