/**
 * A match model (the "match model" of context-mixing compressors): finds the latest place where
 * the text before the cursor occurred before, and predicts the character that followed it there.
 * Code repeats itself in long runs (imports, signatures, a call written again with other
 * arguments), and after a match of 24 characters or more the next character is the one predicted
 * nine times in ten (bench:keystrokes' workspaces). An order-8 n-gram with Witten-Bell smoothing
 * sees only the last 7 characters and stays unsure after a context seen once; the match length
 * tells how sure to be. nextChar.ts mixes the prediction in by match length.
 *
 * The text is kept as 16-bit code points (those above U+FFFE are stored as one value that never
 * matches or is predicted). Two hash tables map a hash of the last MIN_SHORT and MIN_LONG code
 * points to where their latest occurrence ends; a lookup is verified backwards, so a collision can
 * only hide an older occurrence, never report a false one. The hashes are polynomial, so appending
 * updates them in O(1) per character. Memory: 2 bytes per character of text (the buffer grows by
 * doubling, or to the exact size of one large append) plus the two tables, 4 bytes per entry,
 * which grow with the text to about one entry per character, at most 2^22 entries each.
 */

/** Shortest match looked up, and the longer one preferred when it exists (its own table). */
const MIN_SHORT = 8;
const MIN_LONG = 24;
/** Matches are measured up to this many code points (longer ones count as this). */
export const MAX_MATCH = 64;

/** Code points above U+FFFE are stored as this: it never matches and is never predicted. */
const WIDE = 0xffff;
const MIN_TABLE_BITS = 12;
const MAX_TABLE_BITS = 22;
/** The hashes' base (odd) and its powers MIN_SHORT and MIN_LONG, mod 2^32, for the rolling update. */
const BASE = 0x01000193;
const BASE_SHORT = power(BASE, MIN_SHORT);
const BASE_LONG = power(BASE, MIN_LONG);

function power(b: number, n: number): number {
  let p = 1;
  for (let k = 0; k < n; k++) p = Math.imul(p, b);
  return p;
}

function narrow(cp: number): number {
  return cp >= WIDE ? WIDE : cp;
}

export interface Match {
  /** The predicted code point. */
  next: number;
  /** How many code points before the cursor agree with the text before the prediction. */
  length: number;
}

export class MatchIndex {
  private text = new Uint16Array(1024);
  private size = 0;
  private bits = MIN_TABLE_BITS;
  private shortTable = new Int32Array(1 << MIN_TABLE_BITS).fill(-1);
  private longTable = new Int32Array(1 << MIN_TABLE_BITS).fill(-1);
  /** Rolling hashes of the last MIN_SHORT and MIN_LONG code points of the text. */
  private shortHash = 0;
  private longHash = 0;

  get length(): number {
    return this.size;
  }

  /** Appends text (a string, or code points). */
  append(text: string | readonly number[]): void {
    // A string has at least as many code units as code points: one allocation for a large append.
    this.reserve(this.size + text.length);
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
    this.bits = MIN_TABLE_BITS;
    while (this.size > 1 << this.bits && this.bits < MAX_TABLE_BITS) this.bits++;
    this.reindex();
  }

  /** The latest match of the end of `history`, the longer of the two lookups; null when none. */
  find(history: readonly number[]): Match | null {
    if (history.length >= MIN_LONG) {
      const long = this.verify(this.longTable[this.slot(hashOf(history, MIN_LONG))], history);
      if (long && long.length >= MIN_LONG) return long;
    }
    if (history.length < MIN_SHORT) return null;
    const short = this.verify(this.shortTable[this.slot(hashOf(history, MIN_SHORT))], history);
    return short && short.length >= MIN_SHORT ? short : null;
  }

  /** The match of `history` against the text before `end` (null for no candidate or a wide prediction). */
  private verify(end: number, history: readonly number[]): Match | null {
    if (end < 0 || end >= this.size || this.text[end] === WIDE) return null;
    const limit = Math.min(MAX_MATCH, end, history.length);
    let n = 0;
    while (n < limit) {
      const stored = this.text[end - 1 - n];
      if (stored === WIDE || stored !== narrow(history[history.length - 1 - n])) break;
      n++;
    }
    return { next: this.text[end], length: n };
  }

  private push(cp: number): void {
    if (this.size === this.text.length) this.reserve(this.size + 1);
    this.text[this.size] = narrow(cp);
    this.advance();
    if (this.size > 1 << this.bits && this.bits < MAX_TABLE_BITS) {
      this.bits++;
      this.reindex();
    }
  }

  /** Counts text[size], already in place: its contexts are indexed as predicting it, and the hashes roll on. */
  private advance(): void {
    const k = this.size;
    if (k >= MIN_SHORT) this.shortTable[this.slot(this.shortHash)] = k;
    if (k >= MIN_LONG) this.longTable[this.slot(this.longHash)] = k;
    const c = this.text[k];
    this.shortHash = roll(this.shortHash, c, k >= MIN_SHORT ? this.text[k - MIN_SHORT] : 0, BASE_SHORT);
    this.longHash = roll(this.longHash, c, k >= MIN_LONG ? this.text[k - MIN_LONG] : 0, BASE_LONG);
    this.size = k + 1;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.text.length) return;
    const grown = new Uint16Array(Math.max(capacity, this.text.length * 2));
    grown.set(this.text.subarray(0, this.size));
    this.text = grown;
  }

  /** Rebuilds both tables (and the rolling hashes) from the text kept. */
  private reindex(): void {
    this.shortTable = new Int32Array(1 << this.bits).fill(-1);
    this.longTable = new Int32Array(1 << this.bits).fill(-1);
    const size = this.size;
    this.size = 0;
    this.shortHash = 0;
    this.longHash = 0;
    // The text is already in place: count it again without growing the tables.
    while (this.size < size) this.advance();
  }

  private slot(hash: number): number {
    const h = hash ^ (hash >>> 15);
    return Math.imul(h, 0x2c1b3c6d) >>> (32 - this.bits);
  }
}

/** The hash after appending `c` to a window that drops `dropped` (0 while the window fills). */
function roll(hash: number, c: number, dropped: number, basePower: number): number {
  return (Math.imul(hash, BASE) + c - Math.imul(dropped, basePower)) | 0;
}

/** The same polynomial hash of the last `n` code points of `history`. */
function hashOf(history: readonly number[], n: number): number {
  let h = 0;
  for (let i = history.length - n; i < history.length; i++) h = (Math.imul(h, BASE) + narrow(history[i])) | 0;
  return h;
}
