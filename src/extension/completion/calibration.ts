/**
 * What a suggestion's probability means, learned from the user. The mixture's joint probability is
 * not the chance that a suggestion is right: how far off it is depends on the workspace and on how
 * well trained the model is (on rxjs 7.8.1 a joint probability of 0.25 came true about half the
 * time, on this repository's sources about a third). So every suggestion shown is checked against
 * what is typed next (right: the text goes on with all of it), and the exponent a in
 * P(right) = P(joint)^a is refitted by maximum likelihood, drawn towards the prior by PRIOR_WEIGHT
 * pseudo-observations. The threshold and the probability shown then mean what they say in any
 * workspace: of suggestions shown at p, about p turn out right.
 */
import { CursorMark, markAt, normalizeEol, typedSince } from '../text';

interface Pending {
  mark: CursorMark;
  text: string;
  logP: number;
}

/** Observations kept (the newest), and how often the exponent is refitted. */
const MAX_OBSERVATIONS = 4000;
const REFIT_EVERY = 20;
const PRIOR_WEIGHT = 100;
const GRID = Array.from({ length: 66 }, (_, k) => 0.2 + k * 0.02);

export class Calibration {
  private readonly pending = new Map<string, Pending>();
  private readonly observations: { logP: number; right: boolean }[] = [];
  private resolved = 0;
  private current: number;

  /** @param fixed an exponent that is never refitted (the benchmark's ablation) */
  constructor(
    private readonly prior: number,
    private readonly fixed?: number,
  ) {
    this.current = fixed ?? prior;
  }

  /** P(right) = P(joint)^exponent. */
  get exponent(): number {
    return this.current;
  }

  get observed(): number {
    return this.resolved;
  }

  /** A model suggestion of joint log-probability `logP` was shown at `offset` (`window` before it). */
  shown(doc: string, offset: number, window: string, text: string, logP: number): void {
    this.pending.set(doc, { mark: markAt(offset, window), text: normalizeEol(text), logP });
  }

  /** The text before the cursor now: decides the document's pending suggestion once it can. */
  observe(doc: string, offset: number, window: string): void {
    const p = this.pending.get(doc);
    if (!p) return;
    const typed = typedSince(p.mark, offset, window);
    if (typed === '') return;
    if (typed === undefined) {
      // Moved back or jumped away: the suggestion's fate is unknown.
      this.pending.delete(doc);
      return;
    }
    if (typed.length >= p.text.length) this.record(doc, p, typed.startsWith(p.text));
    else if (!p.text.startsWith(typed)) this.record(doc, p, false);
  }

  forget(doc: string): void {
    this.pending.delete(doc);
  }

  private record(doc: string, p: Pending, right: boolean): void {
    this.pending.delete(doc);
    this.observations.push({ logP: p.logP, right });
    if (this.observations.length > MAX_OBSERVATIONS) this.observations.shift();
    this.resolved++;
    if (this.fixed === undefined && this.resolved % REFIT_EVERY === 0) this.refit();
  }

  private refit(): void {
    let best = this.prior;
    let bestLikelihood = -Infinity;
    for (const a of GRID) {
      let l = 0;
      for (const o of this.observations) {
        const logRight = a * o.logP;
        l += o.right ? logRight : Math.log(Math.max(1e-12, 1 - Math.exp(logRight)));
      }
      if (l > bestLikelihood) {
        bestLikelihood = l;
        best = a;
      }
    }
    const n = this.observations.length;
    this.current = (n * best + PRIOR_WEIGHT * this.prior) / (n + PRIOR_WEIGHT);
  }
}
