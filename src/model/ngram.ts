/**
 * A character n-gram language model with interpolated Witten-Bell smoothing, over Unicode code
 * points. It learns text in one pass (`add`) and can keep learning (what the user types), which is
 * what the LSTM cannot do: every identifier is remembered exactly the moment it is seen. Used as
 * the workspace memory mixed with the LSTM for completions, and alone as the benchmark's anchor.
 *
 * P(c | h) = (C(h c) + N1+(h .) P(c | h')) / (C(h) + N1+(h .)), h' = h without its oldest symbol;
 * below order 0 the distribution is uniform over the alphabet seen plus one "anything else".
 *
 * The counts live in an NgramTrie (typed arrays, bounded by `maxNodes`): 1.5 MB of text at order 8
 * takes 0.6-0.8 M nodes for code, 1.5 M for prose, 25-31 bytes each.
 */
import * as layout from './ngramTrie';
import { NgramTrie } from './ngramTrie';

// Module-local copies: an imported binding may compile to a getter call, too slow for the inner loops.
const { COUNT, FIRST_CHILD, NEXT_SIBLING, NODE_STRIDE, SYMBOL } = layout;

export interface NgramOptions {
  /** Longest n-gram counted: contexts of up to order - 1 code points. */
  order: number;
  /**
   * Most trie nodes (distinct n-grams + 1) kept; once reached, new n-grams are dropped (`full`) while
   * those known keep counting. The default, 3 Mi nodes, bounds the memory at about 76 MiB.
   */
  maxNodes?: number;
}

export const DEFAULT_MAX_NGRAM_NODES = 3 * 2 ** 20;
export const DEFAULT_NGRAM_OPTIONS: NgramOptions = { order: 8, maxNodes: DEFAULT_MAX_NGRAM_NODES };

/**
 * The next symbol's distribution after some context. `symbols` never changes once returned;
 * `probs` is the model's own buffer, valid until the model's next `predict` call: copy it
 * (`probs.slice()`) to keep it longer, e.g. for several beams at once.
 */
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

/** Code points below this have their symbol id in a flat table; the rest go through a Map. */
const FLAT_SYMBOLS = 256;

export class CharNgram {
  readonly order: number;
  private readonly trie: NgramTrie;
  /** Code point -> dense symbol id (any code point met, context included), -1 if none yet. */
  private readonly flatIds = new Int32Array(FLAT_SYMBOLS).fill(-1);
  private readonly otherIds = new Map<number, number>();
  private symbolCount = 0;
  /** Symbol id -> position in `alphabet` (code points counted, in the order first counted), or -1. */
  private alphabetAt = new Int32Array(64).fill(-1);
  private alphabet = new Int32Array(64);
  private alphabetSize = 0;
  /** The `symbols` view last handed out, reused while the alphabet is unchanged. */
  private symbolsView = new Int32Array(0);
  private probsBuffer = new Float64Array(64);
  private counted = 0;
  /** Node count at the last compaction (add compacts again once it doubles). */
  private compactedAt = 4096;
  /** Scratch: trie nodes of the contexts of each length (add); the matched levels (predict, see matchLevels). */
  private ctx: Int32Array;
  private nextCtx: Int32Array;
  private readonly levelStart: Int32Array;
  private followerAt = new Int32Array(0);
  private followerCount = new Float64Array(0);
  private readonly levelTotal: Float64Array;
  private readonly levelKinds: Float64Array;
  private readonly history: Int32Array;
  /** The last predict's history and nodes (see findLevelNodes), valid while `version` is unchanged. */
  private readonly previousHistory: Int32Array;
  private previousLength = 0;
  private previousDepth = 0;
  private previousVersion = -1;
  private levelNodes: Int32Array;
  private spareLevelNodes: Int32Array;
  /** Changes whenever the trie does (add, compact). */
  private version = 0;

  constructor(options: Partial<NgramOptions> = {}) {
    this.order = options.order ?? DEFAULT_NGRAM_OPTIONS.order;
    if (!Number.isInteger(this.order) || this.order < 1) throw new RangeError(`n-gram order must be an integer >= 1, got ${this.order}`);
    this.trie = new NgramTrie(options.maxNodes ?? DEFAULT_MAX_NGRAM_NODES);
    this.ctx = new Int32Array(this.order);
    this.nextCtx = new Int32Array(this.order);
    this.levelStart = new Int32Array(this.order + 1);
    this.levelTotal = new Float64Array(this.order);
    this.levelKinds = new Float64Array(this.order);
    this.history = new Int32Array(this.order);
    this.previousHistory = new Int32Array(this.order);
    this.levelNodes = new Int32Array(this.order);
    this.spareLevelNodes = new Int32Array(this.order);
  }

  /** Code points counted so far. */
  get total(): number {
    return this.counted;
  }

  /** Trie nodes in use (distinct n-grams of every length up to `order`, plus the root). */
  get nodeCount(): number {
    return this.trie.nodeCount;
  }

  /** True once `maxNodes` is reached: new n-grams are no longer learnt (known ones still count). */
  get full(): boolean {
    return this.trie.full;
  }

  get maxNodes(): number {
    return this.trie.maxNodes;
  }

  /** Memory held, in bytes (typed arrays exactly, the few Map entries of rare code points estimated). */
  get bytes(): number {
    return (
      this.trie.bytes +
      this.flatIds.byteLength +
      this.otherIds.size * 40 +
      this.alphabetAt.byteLength +
      this.alphabet.byteLength +
      this.probsBuffer.byteLength +
      this.followerAt.byteLength +
      this.followerCount.byteLength +
      this.order * 48
    );
  }

  /** Learns `text`; `before` (not counted) is the text that precedes it, its context. */
  add(text: string, before = ''): void {
    this.tally(text, before, 1);
  }

  /**
   * Unlearns `text` added earlier with the same `before` (a file saved again replaces its previous
   * version). Counts never go below 0; the nodes stay (a count of 0 is never read as seen).
   */
  remove(text: string, before = ''): void {
    this.tally(text, before, -1);
  }

  private tally(text: string, before: string, delta: 1 | -1): void {
    if (text.length === 0) return;
    const learning = delta > 0;
    this.version++;
    const m = this.order - 1;
    const trie = this.trie;
    // ctx[k] = node of the last k code points (-1 when unknown), for k < depth.
    let ctx = this.ctx;
    let next = this.nextCtx;
    ctx[0] = NgramTrie.ROOT;
    let depth = 1;
    // The context's nodes are created (count 0) so that what follows it is counted after it.
    const historyLength = this.lastCodePoints(before, this.history);
    for (let h = 0; h < historyLength; h++) {
      const id = learning ? this.symbolId(this.history[h]) : this.idOf(this.history[h]);
      const levels = Math.min(depth, m);
      for (let k = 0; k < levels; k++) next[k + 1] = ctx[k] < 0 || id < 0 ? -1 : learning ? trie.childOrCreate(ctx[k], id) : trie.child(ctx[k], id);
      next[0] = NgramTrie.ROOT;
      depth = Math.min(depth + 1, this.order);
      const swap = ctx;
      ctx = next;
      next = swap;
    }
    for (let i = 0; i < text.length;) {
      let cp = text.charCodeAt(i++);
      if (cp >= 0xd800 && cp < 0xdc00 && i < text.length) {
        const low = text.charCodeAt(i);
        if (low >= 0xdc00 && low < 0xe000) {
          cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
          i++;
        }
      }
      const id = learning ? this.countedSymbolId(cp) : this.idOf(cp);
      // Shorter contexts first: under the node bound, every stored n-gram keeps its suffixes.
      for (let k = 0; k < depth; k++) {
        const parent = ctx[k];
        const child = parent < 0 || id < 0 ? -1 : learning ? trie.childOrCreate(parent, id) : trie.child(parent, id);
        if (child >= 0) {
          const at = child * NODE_STRIDE + COUNT;
          if (learning) trie.nodes[at]++;
          else if (trie.nodes[at] > 0) trie.nodes[at]--;
        }
        if (k < m) next[k + 1] = child;
      }
      next[0] = NgramTrie.ROOT;
      depth = Math.min(depth + 1, this.order);
      const swap = ctx;
      ctx = next;
      next = swap;
      this.counted += delta;
    }
    this.ctx = ctx;
    this.nextCtx = next;
    if (trie.nodeCount >= 2 * this.compactedAt) this.compact();
  }

  /**
   * Lays the trie out again so that what follows each context is contiguous in memory (predict is
   * several times faster on a large model). `add` does it by itself each time the trie doubles;
   * call it after learning a large corpus in many pieces to have it all compact. O(nodeCount).
   */
  compact(): void {
    this.trie.compact();
    this.version++;
    this.compactedAt = this.trie.nodeCount;
  }

  /**
   * The distribution of the code point after `context` (only its last order - 1 code points
   * matter). Its `probs` are overwritten by the next call (see NgramPrediction).
   */
  predict(context: string | readonly number[]): NgramPrediction {
    const matched = this.matchLevels(context);
    const n = this.alphabetSize;
    if (this.probsBuffer.length < n) this.probsBuffer = new Float64Array(Math.max(n, this.probsBuffer.length * 2));
    const probs = this.probsBuffer.subarray(0, n);
    const { levelStart, levelTotal, levelKinds, followerAt, followerCount } = this;
    // Unrolled interpolation: level k contributes C(h_k c) / (C(h_k) + N1+(h_k .)) times the
    // back-off weights of every longer level; the uniform base gets the product of all of them.
    let weight = 1;
    for (let k = matched - 1; k >= 0; k--) weight *= levelKinds[k] / (levelTotal[k] + levelKinds[k]);
    const floor = weight / (n + 1);
    probs.fill(floor);
    weight = 1;
    for (let k = matched - 1; k >= 0; k--) {
      const denom = levelTotal[k] + levelKinds[k];
      const scale = weight / denom;
      for (let j = levelStart[k], end = levelStart[k + 1]; j < end; j++) probs[followerAt[j]] += followerCount[j] * scale;
      weight *= levelKinds[k] / denom;
    }
    return {
      symbols: this.symbols(),
      probs,
      floor,
      matchedOrder: Math.max(0, matched - 1),
      matchedCount: matched > 0 ? levelTotal[matched - 1] : 0,
    };
  }

  /** P(codePoint | context), without computing the whole distribution. */
  prob(context: string | readonly number[], codePoint: number): number {
    const matched = this.matchLevels(context);
    const id = this.idOf(codePoint);
    const at = id < 0 ? -1 : this.alphabetAt[id];
    let p = 1 / (this.alphabetSize + 1);
    for (let k = 0; k < matched; k++) {
      let c = 0;
      for (let j = this.levelStart[k], end = this.levelStart[k + 1]; j < end && c === 0; j++) if (this.followerAt[j] === at) c = this.followerCount[j];
      p = (c + this.levelKinds[k] * p) / (this.levelTotal[k] + this.levelKinds[k]);
    }
    return p;
  }

  /**
   * Finds the nodes of the context's suffixes, shortest first, stopping at the first one never
   * followed by a counted symbol, and gathers what followed each: level k's followers (alphabet
   * position and count) are followerAt/followerCount[levelStart[k] .. levelStart[k + 1]), their
   * sum levelTotal[k] and number levelKinds[k]. Returns how many levels matched.
   */
  private matchLevels(context: string | readonly number[]): number {
    const history = this.history;
    let length: number;
    if (typeof context === 'string') length = this.lastCodePoints(context, history);
    else {
      length = Math.min(context.length, this.order - 1);
      for (let i = 0; i < length; i++) history[i] = context[context.length - length + i];
    }
    const trie = this.trie;
    const nodes = trie.nodes;
    const alphabetAt = this.alphabetAt;
    // Every level lists at most the whole alphabet.
    const room = (this.order + 1) * this.alphabetSize;
    if (this.followerAt.length < room) {
      this.followerAt = new Int32Array(room * 2);
      this.followerCount = new Float64Array(room * 2);
    }
    const { followerAt, followerCount } = this;
    const depth = this.findLevelNodes(length);
    const levelNodes = this.levelNodes;
    let matched = 0;
    let j = 0;
    for (let k = 0; k < depth; k++) {
      const node = levelNodes[k];
      const start = j;
      let total = 0;
      for (let c = nodes[node * NODE_STRIDE + FIRST_CHILD]; c !== 0; c = nodes[c * NODE_STRIDE + NEXT_SIBLING]) {
        const count = nodes[c * NODE_STRIDE + COUNT];
        if (count > 0) {
          followerAt[j] = alphabetAt[nodes[c * NODE_STRIDE + SYMBOL]];
          followerCount[j++] = count;
          total += count;
        }
      }
      if (total === 0) break;
      this.levelStart[k] = start;
      this.levelStart[k + 1] = j;
      this.levelTotal[k] = total;
      this.levelKinds[k] = j - start;
      matched = k + 1;
    }
    return matched;
  }

  /**
   * Sets levelNodes[k] to the node of the last k code points of history[0 .. length), for k from 0
   * up to the first suffix missing, and returns how many. When the history is the previous call's
   * plus one code point (typing, decoding), each node is one step from the previous call's node one
   * shorter (a trie holds every prefix of what it holds): order lookups instead of order^2 / 2.
   */
  private findLevelNodes(length: number): number {
    const { history, trie, previousHistory } = this;
    const previous = this.levelNodes;
    const nodes = this.spareLevelNodes;
    const previousLength = this.previousLength;
    let extendsPrevious = this.previousVersion === this.version && length > 0 && previousLength >= length - 1;
    for (let i = 0; i < length - 1 && extendsPrevious; i++) extendsPrevious = history[i] === previousHistory[previousLength - length + 1 + i];
    nodes[0] = NgramTrie.ROOT;
    let depth = 1;
    if (extendsPrevious) {
      const id = this.idOf(history[length - 1]);
      for (let k = 0; id >= 0 && k < this.previousDepth && k < length; k++) {
        const node = trie.child(previous[k], id);
        if (node < 0) break;
        nodes[depth++] = node;
      }
    } else {
      for (let k = 1; k <= length; k++) {
        let node: number = NgramTrie.ROOT;
        for (let i = length - k; i < length && node >= 0; i++) {
          const id = this.idOf(history[i]);
          node = id < 0 ? -1 : trie.child(node, id);
        }
        if (node < 0) break;
        nodes[depth++] = node;
      }
    }
    previousHistory.set(history.subarray(0, length));
    this.previousLength = length;
    this.previousDepth = depth;
    this.previousVersion = this.version;
    this.spareLevelNodes = previous;
    this.levelNodes = nodes;
    return depth;
  }

  /** Writes the last (up to) order - 1 code points of `text` into `out`, oldest first; returns how many. */
  private lastCodePoints(text: string, out: Int32Array): number {
    const m = this.order - 1;
    let n = 0;
    let i = text.length;
    while (n < m && i > 0) {
      let cp = text.charCodeAt(--i);
      if (cp >= 0xdc00 && cp < 0xe000 && i > 0) {
        const high = text.charCodeAt(i - 1);
        if (high >= 0xd800 && high < 0xdc00) {
          cp = ((high - 0xd800) << 10) + (cp - 0xdc00) + 0x10000;
          i--;
        }
      }
      out[m - 1 - n++] = cp;
    }
    if (n < m) out.copyWithin(0, m - n, m);
    return n;
  }

  private idOf(codePoint: number): number {
    if ((codePoint & (FLAT_SYMBOLS - 1)) === codePoint) return this.flatIds[codePoint];
    return this.otherIds.get(codePoint) ?? -1;
  }

  /** The symbol id of a code point, assigned on first sight. */
  private symbolId(codePoint: number): number {
    const known = this.idOf(codePoint);
    if (known >= 0) return known;
    const id = this.symbolCount++;
    if ((codePoint & (FLAT_SYMBOLS - 1)) === codePoint) this.flatIds[codePoint] = id;
    else this.otherIds.set(codePoint, id);
    if (id >= this.alphabetAt.length) {
      const grown = new Int32Array(this.alphabetAt.length * 2).fill(-1);
      grown.set(this.alphabetAt);
      this.alphabetAt = grown;
    }
    return id;
  }

  /** The symbol id of a code point being counted: it joins the alphabet on its first count. */
  private countedSymbolId(codePoint: number): number {
    const id = this.symbolId(codePoint);
    if (this.alphabetAt[id] < 0) {
      if (this.alphabetSize === this.alphabet.length) {
        const grown = new Int32Array(this.alphabet.length * 2);
        grown.set(this.alphabet);
        this.alphabet = grown;
      }
      this.alphabetAt[id] = this.alphabetSize;
      this.alphabet[this.alphabetSize++] = codePoint;
    }
    return id;
  }

  /** The alphabet as code points; a view that is never written again (the alphabet only grows). */
  private symbols(): Int32Array {
    if (this.symbolsView.length !== this.alphabetSize || this.symbolsView.buffer !== this.alphabet.buffer) {
      this.symbolsView = this.alphabet.subarray(0, this.alphabetSize);
    }
    return this.symbolsView;
  }
}
