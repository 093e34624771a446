/**
 * The next character's distribution for completions: the LSTM mixed with two n-gram memories,
 * the workspace corpus and the document being edited (a cache that learns each identifier the
 * moment it is typed), and then with match models (matchModel.ts: what followed the latest
 * earlier occurrence of the last 8 to 64 characters) of the document, the corpus and the files
 * saved since. Any part may be missing: before the first checkpoint the memories answer alone, and
 * a model opened without a corpus is the LSTM with the document's memories.
 *
 * Symbols are code points, kept in slots: the LSTM vocabulary's ids first (slot = id), then code
 * points only the n-grams have seen, as they appear. Distributions are dense over the slots.
 */
import type { StepModel, StepState } from '../../model/stepModel';
import type { CharNgram, NgramPrediction } from '../../model/ngram';
import { copyState } from '../../model/stepModel';
import type { Match, MatchIndex } from '../../model/matchModel';
import { MAX_MATCH } from '../../model/matchModel';

/** What the mixture needs of a vocabulary (the engine's Vocabulary has it). */
export interface SymbolTable {
  readonly size: number;
  /** null: no unknown symbol (an imported vocabulary): characters outside it do not step the LSTM. */
  readonly unknownId: number | null;
  symbolOf(id: number): string;
}

export interface Lstm {
  model: StepModel;
  vocab: SymbolTable;
}

/**
 * Mixture weights, by how long a context each n-gram matched (0..order-1): a memory that has seen
 * this exact context weighs more than one that only knows single characters.
 */
export interface MixtureWeights {
  /** [lstm, corpus, document] per bucket (see bucketOf). */
  byMatch: [number, number, number][];
}

/** Short (< 3), medium (< 6) or long matched context. */
function lengthClass(matchedOrder: number): number {
  return matchedOrder < 3 ? 0 : matchedOrder < 6 ? 1 : 2;
}

/** The weights' bucket: the document cache's match length class x the corpus's. */
export function bucketOf(documentOrder: number, corpusOrder: number): number {
  return lengthClass(documentOrder) * 3 + lengthClass(corpusOrder);
}

/**
 * Fitted by bench/fitMixture.ts (EM, each bucket drawn towards the pooled weights) on rxjs 7.8.1's
 * src/: 39 k characters of 10 training files the n-gram had not counted, `small` preset trained
 * 5 min (the keystroke benchmark's model; its held-out files were not used). Rows: document cache
 * match short/medium/long, each with the corpus's short/medium/long.
 */
export const DEFAULT_WEIGHTS: MixtureWeights = {
  byMatch: [
    [0.662, 0.254, 0.084],
    [0.672, 0.282, 0.046],
    [0.507, 0.486, 0.006],
    [0.604, 0.298, 0.098],
    [0.588, 0.227, 0.185],
    [0.54, 0.401, 0.058],
    [0.564, 0.281, 0.154],
    [0.473, 0.205, 0.322],
    [0.522, 0.106, 0.373],
  ],
};

/**
 * How much the match model's prediction weighs (the rest goes to the mixture above), by the
 * length of the match: [8, 12), [12, 16), [16, 24), [24, 32), [32, 48), [48, MAX_MATCH]; the
 * document's match is used when it is at least as long as the workspace memory's.
 */
export interface MatchWeights {
  document: MatchRow;
  /** The workspace memory's matches: its corpus and the saved files. */
  corpus: MatchRow;
}

/** One weight per match-length bucket (MATCH_BUCKETS' bounds make six). */
export type MatchRow = [number, number, number, number, number, number];

const MATCH_BUCKETS = [12, 16, 24, 32, 48];

function matchBucket(length: number): number {
  let k = 0;
  while (k < MATCH_BUCKETS.length && length >= MATCH_BUCKETS[k]) k++;
  return k;
}

/**
 * Set from how often the match is right by length on bench:keystrokes' two workspaces (62-95 %,
 * rising with length; the document's more often than the corpus's), then scaled: of the scales
 * 0.35, 0.5, 0.7, 1 and 1.25 on rxjs 7.8.1 (seed 1), 0.7 saved the most keystrokes within the
 * wrong-text limit, and it was as good as 1 on this repository's sources.
 */
export const DEFAULT_MATCH_WEIGHTS: MatchWeights = {
  document: [0.105, 0.175, 0.28, 0.385, 0.49, 0.56],
  corpus: [0.07, 0.14, 0.21, 0.315, 0.42, 0.525],
};

/** What the mixture knows of the document being edited. */
export interface DocumentModels {
  ngram: CharNgram;
  match: MatchIndex | null;
}

/** One point of the search: the LSTM state after the text so far and the memories' context. */
export interface Point {
  /** Null when there is no LSTM. */
  lstm: StepState | null;
  /** Code points before this point: up to historyLength (order - 1, or MAX_MATCH with match models). */
  history: number[];
}

export interface Distribution {
  probs: Float64Array;
  /** Slots in use (probs may be longer). */
  size: number;
}

export class NextCharModel {
  private readonly slotOfCp = new Map<number, number>();
  private readonly cpOfSlot: number[] = [];
  private readonly lstmProbs: Float64Array;
  private slotBuffer = new Int32Array(256);
  /** Code points of context kept at each point (trimHistory). */
  readonly historyLength: number;

  constructor(
    readonly lstm: Lstm | null,
    readonly corpus: CharNgram | null,
    readonly weights: MixtureWeights = DEFAULT_WEIGHTS,
    /** Longest n-gram order used. */
    order = 8,
    /** The workspace memory's match models (its corpus, its saved files; the later ones win ties). */
    readonly memoryMatches: readonly MatchIndex[] = [],
    /** Null: no match model at all. */
    readonly matchWeights: MatchWeights | null = DEFAULT_MATCH_WEIGHTS,
  ) {
    this.historyLength = matchWeights ? Math.max(order - 1, MAX_MATCH) : order - 1;
    if (lstm) {
      for (let id = 0; id < lstm.vocab.size; id++) {
        const s = lstm.vocab.symbolOf(id);
        const cp = id === lstm.vocab.unknownId || s === '' ? -1 : (s.codePointAt(0) as number);
        this.cpOfSlot.push(cp);
        if (cp >= 0) this.slotOfCp.set(cp, id);
      }
    }
    this.lstmProbs = new Float64Array(lstm ? lstm.vocab.size : 0);
  }

  /** The code point of a slot (-1 for the LSTM's unknown symbol). */
  codePointOf(slot: number): number {
    return this.cpOfSlot[slot];
  }

  slotOf(cp: number): number {
    let slot = this.slotOfCp.get(cp);
    if (slot === undefined) {
      slot = this.cpOfSlot.length;
      this.cpOfSlot.push(cp);
      this.slotOfCp.set(cp, slot);
    }
    return slot;
  }

  /** Keeps the last code points the n-grams and the match models can use. */
  trimHistory(history: number[]): number[] {
    return history.length > this.historyLength ? history.slice(history.length - this.historyLength) : history;
  }

  /** The mixed distribution at `point`, with `document` the cache of the document being edited. */
  distribution(point: Point, documentModels: DocumentModels | null): Distribution {
    const parts: { probs: ArrayLike<number> | null; weight: number }[] = [];
    const document = documentModels?.ngram ?? null;
    const docPred = document && document.total > 0 ? document.predict(point.history) : null;
    const corpusPred = this.corpus && this.corpus.total > 0 ? this.corpus.predict(point.history) : null;
    const w = this.weights.byMatch[bucketOf(docPred ? docPred.matchedOrder : 0, corpusPred ? corpusPred.matchedOrder : 0)];
    // Slots first: the n-grams may bring code points not seen before.
    const corpusProbs = corpusPred ? this.spread(corpusPred) : null;
    const docProbs = docPred ? this.spread(docPred) : null;
    const size = this.cpOfSlot.length;
    if (this.lstm && point.lstm?.logits) parts.push({ probs: this.softmax(point.lstm.logits), weight: w[0] });
    if (corpusProbs) parts.push({ probs: corpusProbs, weight: w[1] });
    if (docProbs) parts.push({ probs: docProbs, weight: w[2] });
    const probs = new Float64Array(size);
    let total = 0;
    for (const p of parts) total += p.weight;
    // A part alone (e.g. the cache before anything else is loaded) answers even where its weight is 0.
    if (total <= 0) {
      for (const p of parts) p.weight = 1;
      total = parts.length;
    }
    if (total <= 0) return { probs, size };
    for (const part of parts) {
      const src = part.probs as ArrayLike<number>;
      const weight = part.weight / total;
      const n = Math.min(src.length, size);
      for (let s = 0; s < n; s++) probs[s] += weight * src[s];
    }
    let sum = 0;
    for (let s = 0; s < size; s++) sum += probs[s];
    for (let s = 0; s < size; s++) probs[s] /= sum;
    return this.withMatch({ probs, size }, point.history, documentModels?.match ?? null);
  }

  /**
   * The match model's prediction mixed in: the longest match of the document's and the memory's
   * match models (the document's wins a tie: it is the text being written).
   */
  private withMatch(dist: Distribution, history: readonly number[], documentMatch: MatchIndex | null): Distribution {
    if (!this.matchWeights) return dist;
    let match: Match | null = null;
    for (const index of this.memoryMatches) {
      const m = index.find(history);
      if (m && (!match || m.length >= match.length)) match = m;
    }
    const fromDoc = documentMatch ? documentMatch.find(history) : null;
    const useDoc = fromDoc !== null && (match === null || fromDoc.length >= match.length);
    if (useDoc) match = fromDoc;
    if (!match) return dist;
    const weight = (useDoc ? this.matchWeights.document : this.matchWeights.corpus)[matchBucket(match.length)];
    const slot = this.slotOf(match.next);
    let { probs } = dist;
    if (slot >= probs.length) {
      const grown = new Float64Array(slot + 1);
      grown.set(probs);
      probs = grown;
    }
    const size = Math.max(dist.size, slot + 1);
    for (let s = 0; s < size; s++) probs[s] *= 1 - weight;
    probs[slot] += weight;
    return { probs, size };
  }

  /** The point after `slot`: the LSTM steps (on a copy when `copy`), the history grows. */
  advance(point: Point, slot: number, copy: boolean): Point {
    let lstm = point.lstm;
    if (this.lstm && lstm) {
      if (copy) lstm = copyState(lstm);
      const cp = this.cpOfSlot[slot];
      const id = cp < 0 || slot >= this.lstm.vocab.size ? this.lstm.vocab.unknownId : slot;
      if (id !== null) this.lstm.model.step(id, lstm);
    }
    const history = this.trimHistory([...point.history, this.cpOfSlot[slot]]);
    return { lstm, history };
  }

  private softmax(logits: Float32Array): Float64Array {
    const out = this.lstmProbs;
    const unknown = (this.lstm as Lstm).vocab.unknownId;
    let max = -Infinity;
    for (let k = 0; k < logits.length; k++) if (k !== unknown && logits[k] > max) max = logits[k];
    let sum = 0;
    for (let k = 0; k < logits.length; k++) {
      const e = k === unknown ? 0 : Math.exp(logits[k] - max);
      out[k] = e;
      sum += e;
    }
    for (let k = 0; k < logits.length; k++) out[k] /= sum;
    return out;
  }

  private slotsOf(symbols: Int32Array): Int32Array {
    if (this.slotBuffer.length < symbols.length) this.slotBuffer = new Int32Array(symbols.length * 2);
    for (let k = 0; k < symbols.length; k++) this.slotBuffer[k] = this.slotOf(symbols[k]);
    return this.slotBuffer;
  }

  /** An n-gram prediction over the slots (code points it never saw get its floor). */
  private spread(pred: NgramPrediction): Float64Array {
    const slots = this.slotsOf(pred.symbols);
    const size = this.cpOfSlot.length;
    const out = new Float64Array(size);
    // The floor is the mass of "anything else": spread thinly, it keeps unseen symbols possible.
    const floor = pred.floor / Math.max(1, size - pred.symbols.length);
    out.fill(floor);
    for (let k = 0; k < pred.symbols.length; k++) out[slots[k]] = pred.probs[k];
    if (this.lstm && this.lstm.vocab.unknownId !== null) out[this.lstm.vocab.unknownId] = 0;
    return out;
  }
}
