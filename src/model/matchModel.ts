/**
 * A match model (the "match model" of context-mixing compressors): finds the latest place where
 * the text before the cursor occurred before, and predicts the character that followed it there.
 * Code repeats itself in long runs (imports, signatures, a call written again with other
 * arguments), and after a match of 24 characters or more the next character is the one predicted
 * nine times in ten (bench:keystrokes' workspaces). An order-8 n-gram with Witten-Bell smoothing
 * sees only the last 7 characters and stays unsure after a context seen once; the match length
 * tells how sure to be. nextChar.ts mixes the prediction in by match length.
 *
 * The text is kept as 16-bit code points (those above U+FFFE share one value, never predicted); a
 * hash of the last MIN_SHORT (and MIN_LONG) code points points to where the latest occurrence ends,
 * and the match is verified backwards, so a hash collision only costs a lookup. Memory: 2 bytes per
 * character of text plus two tables of 4 bytes per entry (bitsFor: about one entry per character,
 * at most 4 Mi entries each), 48 MiB at the workspace memory's 8 M characters.
 */

/** Code points above U+FFFE are stored as this (and never predicted). */
const WIDE = 0xffff;

function narrow(cp: number): number {
  return cp >= WIDE ? WIDE : cp;
}

/** Shortest match looked up, and the longer one preferred when it exists (its own table). */
const MIN_SHORT = 8;
const MIN_LONG = 24;
/** Matches are measured up to this many code points (longer ones count as this). */
export const MAX_MATCH = 64;

export interface Match {
  /** The predicted code point. */
  next: number;
  /** How many code points before the cursor agree with the text before the prediction. */
  length: number;
}

export class MatchIndex {
  private text: Uint16Array;
  private size = 0;
  private readonly shortTable: Int32Array;
  private readonly longTable: Int32Array;
  private readonly mask: number;
  /** Where the last verified match ends (the predicted code point's position). */
  private lastEnd = 0;

  /** `tableBits`: log2 of the hash tables' sizes (see bitsFor); the default suits a document. */
  constructor(tableBits = 15) {
    this.text = new Uint16Array(1024);
    this.shortTable = new Int32Array(1 << tableBits).fill(-1);
    this.longTable = new Int32Array(1 << tableBits).fill(-1);
    this.mask = (1 << tableBits) - 1;
  }

  /** Table bits that suit a text of `chars` code points. */
  static bitsFor(chars: number): number {
    return Math.max(12, Math.min(22, Math.ceil(Math.log2(Math.max(1, chars)))));
  }

  get length(): number {
    return this.size;
  }

  /** Appends text (a string, or code points). */
  append(text: string | readonly number[]): void {
    if (typeof text === 'string') {
      for (const ch of text) this.push(ch.codePointAt(0) as number);
    } else {
      for (const cp of text) this.push(cp);
    }
  }

  /** Keeps the first `length` code points only. */
  truncate(length: number): void {
    if (length >= this.size) return;
    this.size = Math.max(0, length);
    this.shortTable.fill(-1);
    this.longTable.fill(-1);
    for (let end = 0; end < this.size; end++) this.index(end);
  }

  /** The latest match of the end of `history`, the longest of the two lookups; null when none. */
  find(history: readonly number[]): Match | null {
    const long = history.length >= MIN_LONG ? this.verify(this.longTable[this.hash(history, history.length, MIN_LONG)], history) : 0;
    if (long >= MIN_LONG) return this.matchAt(long);
    if (history.length < MIN_SHORT) return null;
    const short = this.verify(this.shortTable[this.hash(history, history.length, MIN_SHORT)], history);
    return short >= MIN_SHORT ? this.matchAt(short) : null;
  }

  private matchAt(length: number): Match | null {
    const next = this.text[this.lastEnd];
    return next === WIDE ? null : { next, length };
  }

  /** How many code points before `end` agree with the end of `history` (0 for no candidate). */
  private verify(end: number, history: readonly number[]): number {
    if (end < 0 || end >= this.size) return 0;
    const limit = Math.min(MAX_MATCH, end, history.length);
    let n = 0;
    while (n < limit && this.text[end - 1 - n] === narrow(history[history.length - 1 - n])) n++;
    this.lastEnd = end;
    return n;
  }

  private push(cp: number): void {
    if (this.size === this.text.length) {
      const grown = new Uint16Array(this.text.length * 2);
      grown.set(this.text);
      this.text = grown;
    }
    // The context ending here now has a follower: index it before the code point is counted.
    this.index(this.size);
    this.text[this.size++] = narrow(cp);
  }

  /** Indexes the contexts ending at `end` (they predict text[end]). */
  private index(end: number): void {
    if (end >= MIN_SHORT) this.shortTable[this.hash(this.text, end, MIN_SHORT)] = end;
    if (end >= MIN_LONG) this.longTable[this.hash(this.text, end, MIN_LONG)] = end;
  }

  /** Hash of the `n` code points before `end` of `source`. */
  private hash(source: ArrayLike<number>, end: number, n: number): number {
    let h = n === MIN_LONG ? 0x9e3779b1 : 0x85ebca6b;
    for (let i = end - n; i < end; i++) h = Math.imul(h ^ narrow(source[i]), 0x01000193);
    h ^= h >>> 15;
    return h & this.mask;
  }
}
