/**
 * What the inference process does with what it has loaded: completions (the LSTM mixed with the
 * workspace and document n-grams, per-document states), free generation and samples for the model
 * view. No IPC here (inferenceProcess.ts does that), so the benchmark and the tests drive it directly.
 * Either model may be missing: the n-gram answers before the first checkpoint exists.
 */
import type { CompleteRequest, GenerateRequest, SamplesRequest, StateReuse } from '../protocol';
import type { CharNgram } from '../../model/ngram';
import { normalizeEol } from '../text';
import { decode, Decoded, prime } from './decode';
import { DocumentMemory } from './documentMemory';
import type { LoadedModel } from './modelLoader';
import { DEFAULT_MATCH_WEIGHTS, DEFAULT_WEIGHTS, MatchWeights, MixtureWeights, NextCharModel } from './nextChar';
import type { MatchIndex } from '../../model/matchModel';
import { searchContinuation, SearchResult } from './search';
import { StateCache } from './stateCache';
import { copyState, StepState } from '../../model/stepModel';
import { startIds } from '../../model/sampler';

export interface CompletionResult extends SearchResult {
  reuse: StateReuse;
}

export interface EngineOptions {
  /** Which models give the next character's distribution (the benchmark's ablation). */
  mixture: 'lstm' | 'ngram' | 'mix';
  /** Candidates kept while searching for the most probable continuation (1 = greedy). */
  beam: number;
  /** Learn the document being edited (the cache); off only for the ablation. */
  documentCache: boolean;
  weights: MixtureWeights;
  /** The match model's weights by match length; null leaves the match model out (the ablation). */
  matchWeights: MatchWeights | null;
  /** n-gram order of the document cache. */
  order: number;
  /** Typed characters fed to a remembered state before re-priming from the window is cheaper. */
  maxAdvance: number;
  maxDocuments: number;
  maxPerDocument: number;
}

const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  mixture: 'mix',
  beam: 4,
  documentCache: true,
  weights: DEFAULT_WEIGHTS,
  matchWeights: DEFAULT_MATCH_WEIGHTS,
  order: 8,
  maxAdvance: 64,
  maxDocuments: 32,
  maxPerDocument: 24,
};

/** What an engine completes with; at least one of the two. */
export interface EngineModels {
  lstm?: LoadedModel;
  /** The workspace memory: an n-gram over the training corpus. */
  corpus?: CharNgram;
  /** The workspace memory's match models: over its corpus, and over the files saved since. */
  memoryMatches?: MatchIndex[];
}

export class InferenceEngine {
  private readonly states: StateCache<StepState>;
  private readonly documents: DocumentMemory;
  readonly options: EngineOptions;
  private readonly next: NextCharModel;

  constructor(
    readonly models: EngineModels,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    const o = this.options;
    const lstm = o.mixture !== 'ngram' && models.lstm ? { model: models.lstm.model, vocab: models.lstm.vocab } : null;
    const corpus = o.mixture !== 'lstm' ? (models.corpus ?? null) : null;
    const memoryMatches = o.mixture !== 'lstm' ? (models.memoryMatches ?? []) : [];
    const matchWeights = o.mixture !== 'lstm' ? o.matchWeights : null;
    this.next = new NextCharModel(lstm, corpus, o.weights, o.order, memoryMatches, matchWeights);
    this.states = new StateCache<StepState>({ copy: copyState, maxDocuments: o.maxDocuments, maxPerDocument: o.maxPerDocument });
    this.documents = new DocumentMemory({ order: o.order, maxDocuments: o.maxDocuments, maxChars: 1 << 20 });
  }

  /** Undefined when cancelled. */
  async complete(req: CompleteRequest, isCancelled: () => boolean): Promise<CompletionResult | undefined> {
    const o = this.options;
    const window = req.window;
    let reuse: StateReuse = 'hit';
    let state: StepState | null = null;
    // The LSTM takes part unless the mixture leaves it out (the benchmark's ablation).
    const neural = this.next.lstm ? this.models.lstm : undefined;
    if (neural) {
      const context = window.length > req.contextChars ? window.slice(-req.contextChars) : window;
      const { model, vocab } = neural;
      const found = this.states.find(req.doc, context, req.offset, Math.min(o.maxAdvance, Math.floor(context.length / 2)));
      if (found) {
        state = found.state;
        reuse = found.delta === '' ? 'hit' : 'advance';
        if (found.delta !== '') model.feed(vocab.encode(normalizeEol(found.delta)), state);
      } else {
        state = model.zeroState();
        reuse = 'prime';
        if (!(await prime(model, vocab, state, context, isCancelled))) return undefined;
      }
      this.states.remember(req.doc, context, req.offset, copyState(state));
      // An empty context starts as after a newline, as training text does.
      if (!state.logits) model.feed(startIds(vocab), state);
    }
    const document = o.documentCache && o.mixture !== 'lstm' ? this.documents.update(req.doc, window, req.offset) : null;
    // Twice the code points kept, in UTF-16 units: enough even if every one is a surrogate pair.
    const history = this.next.trimHistory(codePoints(normalizeEol(window.slice(-2 * this.next.historyLength))));
    const found = await searchContinuation(
      this.next,
      { lstm: state, history },
      document,
      {
        maxChars: req.maxChars,
        stopAtNewline: req.stopAtNewline,
        minProbability: req.minConfidence,
        beam: o.beam,
        temperature: req.temperature,
        seed: req.seed,
      },
      isCancelled,
    );
    return found && { ...found, reuse };
  }

  async generate(req: GenerateRequest, isCancelled: () => boolean, onProgress?: (chars: number) => void): Promise<Decoded | undefined> {
    const { model, vocab } = this.neural();
    const state = model.zeroState();
    if (!(await prime(model, vocab, state, req.prompt, isCancelled))) return undefined;
    return decode(
      model,
      vocab,
      state,
      {
        maxChars: req.length,
        temperature: req.temperature,
        seed: req.seed ?? Math.floor(Math.random() * 2 ** 31),
        stopAtNewline: false,
      },
      isCancelled,
      onProgress,
    );
  }

  async samples(req: SamplesRequest, isCancelled: () => boolean): Promise<{ temperature: number; text: string }[] | undefined> {
    const { model, vocab } = this.neural();
    const primed = model.zeroState();
    if (!(await prime(model, vocab, primed, req.prime, isCancelled))) return undefined;
    const out: { temperature: number; text: string }[] = [];
    for (const temperature of req.temperatures) {
      const d = await decode(
        model,
        vocab,
        copyState(primed),
        {
          maxChars: req.length,
          temperature,
          seed: Math.floor(Math.random() * 2 ** 31),
          stopAtNewline: false,
        },
        isCancelled,
      );
      if (!d) return undefined;
      out.push({ temperature, text: d.text });
    }
    return out;
  }

  forget(doc: string): void {
    this.states.forget(doc);
    this.documents.forget(doc);
  }

  dispose(): void {
    this.states.clear();
    this.documents.clear();
    this.models.lstm?.model.dispose();
  }

  /** Generation needs the LSTM: the n-gram memory only completes. */
  private neural(): LoadedModel {
    if (!this.models.lstm) throw new Error('No trained model yet: generation needs a checkpoint (train first)');
    return this.models.lstm;
  }
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0) as number);
  return out;
}
