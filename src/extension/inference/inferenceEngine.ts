/**
 * What the inference process does with a loaded model: completions with per-document states,
 * free generation, and samples for the model view. No IPC here (inferenceProcess.ts does that), so
 * the benchmark and the tests drive it directly.
 */
import type { CompleteRequest, GenerateRequest, SamplesRequest, StateReuse } from '../protocol';
import { normalizeEol } from '../text';
import { decode, Decoded, prime } from './decode';
import type { LoadedModel } from './modelLoader';
import { StateCache } from './stateCache';
import { copyState, StepState } from '../../model/stepModel';

export interface CompletionResult extends Decoded {
  reuse: StateReuse;
}

export interface EngineOptions {
  /** Which models give the next character's distribution (the benchmark's ablation). */
  mixture: 'lstm' | 'ngram' | 'mix';
  /** Candidates kept while searching for the most probable continuation (1 = greedy). */
  beam: number;
  /** 'expected': the prefix that saves the most keystrokes in expectation; 'longest': the longest prefix whose joint probability stays above the threshold. */
  decision: 'expected' | 'longest';
  /** Typed characters fed to a remembered state before re-priming from the window is cheaper. */
  maxAdvance: number;
  maxDocuments: number;
  maxPerDocument: number;
}

const DEFAULTS: EngineOptions = { mixture: 'mix', beam: 4, decision: 'expected', maxAdvance: 64, maxDocuments: 32, maxPerDocument: 24 };

export class InferenceEngine {
  private readonly states: StateCache<StepState>;
  private readonly options: EngineOptions;

  constructor(readonly loaded: LoadedModel, options: Partial<EngineOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.states = new StateCache<StepState>({ copy: copyState, maxDocuments: this.options.maxDocuments, maxPerDocument: this.options.maxPerDocument });
  }

  /** Undefined when cancelled. */
  async complete(req: CompleteRequest, isCancelled: () => boolean): Promise<CompletionResult | undefined> {
    const { model, vocab } = this.loaded;
    const found = this.states.find(req.doc, req.window, req.offset, Math.min(this.options.maxAdvance, Math.floor(req.window.length / 2)));
    let state: StepState;
    let reuse: StateReuse;
    if (found) {
      state = found.state;
      reuse = found.delta === '' ? 'hit' : 'advance';
      if (found.delta !== '') model.feed(vocab.encode(normalizeEol(found.delta)), state);
    } else {
      state = model.zeroState();
      reuse = 'prime';
      if (!(await prime(model, vocab, state, req.window, isCancelled))) return undefined;
    }
    this.states.remember(req.doc, req.window, req.offset, copyState(state));
    const decoded = await decode(model, vocab, state, {
      maxChars: req.maxChars, temperature: req.temperature, seed: req.seed, stopAtNewline: req.stopAtNewline,
      minConfidence: req.minConfidence,
    }, isCancelled);
    return decoded && { ...decoded, reuse };
  }

  async generate(req: GenerateRequest, isCancelled: () => boolean, onProgress?: (chars: number) => void): Promise<Decoded | undefined> {
    const { model, vocab } = this.loaded;
    const state = model.zeroState();
    if (!(await prime(model, vocab, state, req.prompt, isCancelled))) return undefined;
    return decode(model, vocab, state, {
      maxChars: req.length, temperature: req.temperature, seed: req.seed ?? Math.floor(Math.random() * 2 ** 31), stopAtNewline: false,
    }, isCancelled, onProgress);
  }

  async samples(req: SamplesRequest, isCancelled: () => boolean): Promise<{ temperature: number; text: string }[] | undefined> {
    const { model, vocab } = this.loaded;
    const primed = model.zeroState();
    if (!(await prime(model, vocab, primed, req.prime, isCancelled))) return undefined;
    const out: { temperature: number; text: string }[] = [];
    for (const temperature of req.temperatures) {
      const d = await decode(model, vocab, copyState(primed), {
        maxChars: req.length, temperature, seed: Math.floor(Math.random() * 2 ** 31), stopAtNewline: false,
      }, isCancelled);
      if (!d) return undefined;
      out.push({ temperature, text: d.text });
    }
    return out;
  }

  forget(doc: string): void {
    this.states.forget(doc);
  }

  dispose(): void {
    this.states.clear();
    this.loaded.model.dispose();
  }
}
