/**
 * The most probable continuation at the cursor: a small beam search over characters under the
 * mixed model, pruned at the threshold. Only a continuation whose joint probability (the chance
 * that the text really goes on this way) stays above the threshold can ever be shown, so nothing
 * below it is explored. With a threshold of 0.5 or more at most one continuation qualifies at each
 * length, and the search is greedy; below 0.5 the beam finds continuations greedy would miss.
 * With a temperature above 0 the continuation is sampled instead (one candidate, drawn from the
 * tempered distribution), still only as long as it stays likely enough.
 */
import { SeededRandom } from '../../util/random';
import { yieldNow } from './decode';
import type { DocumentModels, NextCharModel, Point } from './nextChar';

export interface SearchOptions {
  /** Longest continuation, in UTF-16 code units. */
  maxChars: number;
  /** End at a newline (not included). */
  stopAtNewline: boolean;
  /** Continuations less likely than this are not explored (0..1). */
  minProbability: number;
  /** Continuations kept at each length (1 = greedy). */
  beam: number;
  /** 0: the most probable continuation; above 0, sampled at this temperature from `seed`. */
  temperature: number;
  seed: number;
}

export interface SearchResult {
  text: string;
  /** Conditional log-probability of each code point of `text`, in order. */
  logProbs: number[];
  stoppedBy: 'length' | 'newline' | 'unsure';
  /** The most likely character after `text` ('' when not computed), to tell whether `text` ends a token. */
  next: string;
}

interface Hypothesis {
  point: Point;
  text: string;
  logP: number;
  logProbs: number[];
}

/** Model calls between yields to the event loop (a cancel message can only arrive then). */
const STEPS_PER_YIELD = 16;
const NEWLINE = 10;

/** Undefined when cancelled. `root` is left unchanged. */
export async function searchContinuation(
  model: NextCharModel,
  root: Point,
  document: DocumentModels | null,
  options: SearchOptions,
  isCancelled: () => boolean,
): Promise<SearchResult | undefined> {
  const floor = options.minProbability > 0 ? Math.log(options.minProbability) : -Infinity;
  const sampling = options.temperature > 0;
  const beam = sampling ? 1 : Math.max(1, Math.floor(options.beam));
  const rng = new SeededRandom(options.seed);
  const finals: SearchResult[] = [];
  let live: Hypothesis[] = [{ point: root, text: '', logP: 0, logProbs: [] }];
  let steps = 0;
  while (live.length > 0) {
    const children: { parent: Hypothesis; slot: number; logP: number; logProb: number }[] = [];
    for (const h of live) {
      if (++steps % STEPS_PER_YIELD === 0) await yieldNow();
      if (isCancelled()) return undefined;
      if (h.text.length >= options.maxChars) {
        finals.push({ text: h.text, logProbs: h.logProbs, stoppedBy: 'length', next: '' });
        continue;
      }
      const { probs, size } = model.distribution(h.point, document);
      const top = sampling ? [sampleSlot(probs, size, options.temperature, rng, model)] : topSlots(probs, size, beam, model);
      const next = top.length ? String.fromCodePoint(model.codePointOf(top[0])) : '';
      let extended = false;
      for (const slot of top) {
        const logProb = Math.log(probs[slot]);
        const logP = h.logP + logProb;
        if (!(logP >= floor)) break;
        if (options.stopAtNewline && model.codePointOf(slot) === NEWLINE) {
          finals.push({ text: h.text, logProbs: h.logProbs, stoppedBy: 'newline', next: '\n' });
          extended = true;
          continue;
        }
        children.push({ parent: h, slot, logP, logProb });
        extended = true;
      }
      if (!extended) finals.push({ text: h.text, logProbs: h.logProbs, stoppedBy: 'unsure', next });
    }
    children.sort((a, b) => b.logP - a.logP);
    const kept = children.slice(0, beam);
    // A parent with one surviving child can hand its state over instead of copying it.
    const uses = new Map<Hypothesis, number>();
    for (const c of kept) uses.set(c.parent, (uses.get(c.parent) ?? 0) + 1);
    live = kept.map((c) => {
      const shared = c.parent.point === root || (uses.get(c.parent) ?? 0) > 1;
      return {
        point: model.advance(c.parent.point, c.slot, shared),
        text: c.parent.text + String.fromCodePoint(model.codePointOf(c.slot)),
        logP: c.logP,
        logProbs: [...c.parent.logProbs, c.logProb],
      };
    });
  }
  return best(finals);
}

/** The continuation worth most: the expected characters it saves, then its probability. */
function best(finals: SearchResult[]): SearchResult {
  let top = finals[0];
  let topValue = -Infinity;
  for (const f of finals) {
    const logP = f.logProbs.reduce((a, b) => a + b, 0);
    const value = Math.exp(logP) * f.text.length;
    if (value > topValue) {
      top = f;
      topValue = value;
    }
  }
  return top ?? { text: '', logProbs: [], stoppedBy: 'unsure', next: '' };
}

/** A slot drawn from probs^(1 / temperature), skipping symbols that cannot be shown. */
function sampleSlot(probs: Float64Array, size: number, temperature: number, rng: SeededRandom, model: NextCharModel): number {
  const weights = new Float64Array(size);
  let total = 0;
  for (let s = 0; s < size; s++) {
    if (model.codePointOf(s) < 0 || !(probs[s] > 0)) continue;
    weights[s] = Math.pow(probs[s], 1 / temperature);
    total += weights[s];
  }
  let u = rng.next() * total;
  let last = 0;
  for (let s = 0; s < size; s++) {
    if (weights[s] === 0) continue;
    last = s;
    u -= weights[s];
    if (u < 0) return s;
  }
  return last;
}

/** The `k` most likely slots, most likely first, skipping symbols that cannot be shown. */
function topSlots(probs: Float64Array, size: number, k: number, model: NextCharModel): number[] {
  const out: number[] = [];
  for (let s = 0; s < size; s++) {
    if (model.codePointOf(s) < 0 || !(probs[s] > 0)) continue;
    if (out.length < k) {
      out.push(s);
      for (let j = out.length - 1; j > 0 && probs[out[j]] > probs[out[j - 1]]; j--) [out[j], out[j - 1]] = [out[j - 1], out[j]];
    } else if (probs[s] > probs[out[k - 1]]) {
      out[k - 1] = s;
      for (let j = k - 1; j > 0 && probs[out[j]] > probs[out[j - 1]]; j--) [out[j], out[j - 1]] = [out[j - 1], out[j]];
    }
  }
  return out;
}
