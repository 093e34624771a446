/**
 * A character n-gram language model with interpolated Witten-Bell smoothing, over Unicode code
 * points. It learns text in one pass (`add`) and can keep learning (what the user types), which is
 * what the LSTM cannot do: every identifier is remembered exactly the moment it is seen. Used as
 * the workspace memory mixed with the LSTM for completions, and alone as the benchmark's anchor.
 *
 * P(c | h) = (C(h c) + N1+(h .) P(c | h')) / (C(h) + N1+(h .)), h' = h without its oldest symbol;
 * below order 0 the distribution is uniform over the alphabet seen plus one "anything else".
 */

export interface NgramOptions {
  /** Longest n-gram counted: contexts of up to order - 1 code points. */
  order: number;
}

export const DEFAULT_NGRAM_OPTIONS: NgramOptions = { order: 8 };

/** The next symbol's distribution after some context. */
export interface NgramPrediction {
  /** Code points seen by the model, and their probabilities (same order). */
  symbols: Int32Array;
  probs: Float64Array;
  /** Probability of any one code point not in `symbols`. */
  floor: number;
  /** Longest context suffix (in code points) the model has counts for, and how often it was seen. */
  matchedOrder: number;
  matchedCount: number;
}

interface Counts {
  total: number;
  next: Map<number, number>;
}

export class CharNgram {
  readonly order: number;
  private readonly contexts = new Map<string, Counts>();
  /** Seen code points -> dense index. */
  private readonly alphabet = new Map<number, number>();
  private readonly symbolList: number[] = [];
  private counted = 0;

  constructor(options: Partial<NgramOptions> = {}) {
    this.order = options.order ?? DEFAULT_NGRAM_OPTIONS.order;
    if (!Number.isInteger(this.order) || this.order < 1) throw new RangeError(`n-gram order must be an integer >= 1, got ${this.order}`);
  }

  /** Code points counted so far. */
  get total(): number {
    return this.counted;
  }

  /** Learns `text`; `before` (not counted) is the text that precedes it, its context. */
  add(text: string, before = ''): void {
    const history = lastItems(codePoints(before), this.order - 1);
    for (const cp of codePoints(text)) {
      if (!this.alphabet.has(cp)) {
        this.alphabet.set(cp, this.symbolList.length);
        this.symbolList.push(cp);
      }
      for (let k = 0; k <= history.length; k++) {
        const key = String.fromCodePoint(...history.slice(history.length - k));
        let c = this.contexts.get(key);
        if (!c) {
          c = { total: 0, next: new Map() };
          this.contexts.set(key, c);
        }
        c.total++;
        c.next.set(cp, (c.next.get(cp) ?? 0) + 1);
      }
      history.push(cp);
      if (history.length > this.order - 1) history.shift();
      this.counted++;
    }
  }

  /** The distribution of the code point after `context` (only its last order - 1 code points matter). */
  predict(context: string | readonly number[]): NgramPrediction {
    const cps = typeof context === 'string' ? codePoints(context.slice(Math.max(0, context.length - 2 * (this.order - 1)))) : Array.from(context);
    const history = lastItems(cps, this.order - 1);
    const n = this.symbolList.length;
    const probs = new Float64Array(n);
    let floor = 1 / (n + 1);
    probs.fill(floor);
    let matchedOrder = 0;
    let matchedCount = 0;
    for (let k = 0; k <= history.length; k++) {
      const c = this.contexts.get(String.fromCodePoint(...history.slice(history.length - k)));
      if (!c || c.total === 0) break;
      matchedOrder = k;
      matchedCount = c.total;
      const d = c.next.size;
      const denom = c.total + d;
      for (let s = 0; s < n; s++) probs[s] = (d * probs[s]) / denom;
      for (const [cp, count] of c.next) probs[this.alphabet.get(cp) as number] += count / denom;
      floor = (d * floor) / denom;
    }
    return { symbols: Int32Array.from(this.symbolList), probs, floor, matchedOrder, matchedCount };
  }

  /** P(codePoint | context). */
  prob(context: string | readonly number[], codePoint: number): number {
    const p = this.predict(context);
    const at = this.alphabet.get(codePoint);
    return at === undefined ? p.floor : p.probs[at];
  }
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0) as number);
  return out;
}

/** The last n items; none when n is 0 (slice(-0) would keep them all). */
function lastItems(items: number[], n: number): number[] {
  return items.slice(Math.max(0, items.length - n));
}
