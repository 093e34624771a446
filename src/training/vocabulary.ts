import { CharmError } from '../errors';

export interface VocabularyJSON {
  version: 1;
  symbols: string[];
  /** null: no unknown symbol (an imported model's vocabulary); characters outside it are skipped. */
  unknownId: number | null;
}

const DEFAULT_MAX_SIZE = 256;
const BMP_SIZE = 0x10000;
/** Symbols per intermediate string in `decode`. */
const DECODE_CHUNK = 8192;

/**
 * Maps characters (Unicode code points) to ids and back. An emoji or a CJK character is
 * one symbol; a ZWJ sequence or a flag is several, and round-trips when all are known.
 * A lone surrogate in the text counts as a symbol of its own, as `for..of` yields it.
 */
export class Vocabulary {
  /**
   * The symbol of unknown characters, id `unknownId` (0 in built vocabularies). The empty
   * string cannot be a code point, so it never collides with a real character.
   */
  static readonly UNKNOWN: string = '';
  /** What `decode` writes for the unknown id. */
  static readonly UNKNOWN_DISPLAY: string = '\uFFFD';

  readonly size: number;
  /**
   * null for a vocabulary without an unknown symbol (imported models): `encode` then skips the
   * characters outside it and `countUnknown` counts them, so eval reports them, sampling primes and
   * completion contexts go on without them.
   */
  readonly unknownId: number | null;

  private readonly symbols: readonly string[];
  /** `symbols` with the unknown symbol shown as UNKNOWN_DISPLAY. */
  private readonly shown: readonly string[];
  /** Id of each BMP code unit: a flat table is much faster than a Map on long texts. */
  private readonly bmp: Int32Array;
  private readonly astral: Map<number, number>;
  /** What the tables hold for a character outside the vocabulary: unknownId, or -1 (skipped) without one. */
  private readonly missing: number;

  private constructor(symbols: string[], unknownId: number | null) {
    this.symbols = Object.freeze(symbols);
    this.unknownId = unknownId;
    this.missing = unknownId ?? -1;
    this.size = symbols.length;
    this.shown = Object.freeze(symbols.map((s, id) => (id === unknownId ? Vocabulary.UNKNOWN_DISPLAY : s)));
    this.bmp = new Int32Array(BMP_SIZE);
    if (this.missing !== 0) this.bmp.fill(this.missing);
    this.astral = new Map();
    symbols.forEach((s, id) => {
      if (id === unknownId) return;
      const cp = s.codePointAt(0) ?? 0;
      if (cp < BMP_SIZE) this.bmp[cp] = id;
      else this.astral.set(cp, id);
    });
  }

  /**
   * The `maxSize - 1` most frequent code points of `text` plus the unknown symbol (id 0).
   * Frequency ties go to the lower code point; ids follow code point order, so the result
   * depends only on the frequencies, not on where in the text a character appears.
   */
  static build(text: string, maxSize: number = DEFAULT_MAX_SIZE): Vocabulary {
    const counts = new CodePointCounts();
    counts.add(text);
    return Vocabulary.fromCounts(counts, maxSize);
  }

  /** What `build` makes of the text whose code points were counted (a corpus streamed in pieces). */
  static fromCounts(counts: CodePointCounts, maxSize: number = DEFAULT_MAX_SIZE): Vocabulary {
    if (!Number.isInteger(maxSize) || maxSize < 2) {
      throw new CharmError(`The vocabulary size must be a whole number of at least 2, got ${String(maxSize)}.`);
    }
    const seen = counts.entries();
    seen.sort((a, b) => b.n - a.n || a.cp - b.cp);
    const kept = seen.slice(0, maxSize - 1).map((e) => e.cp);
    kept.sort((a, b) => a - b);
    return new Vocabulary([Vocabulary.UNKNOWN, ...kept.map((cp) => String.fromCodePoint(cp))], 0);
  }

  /**
   * A vocabulary of exactly these symbols, id = index, without an unknown symbol (the vocabulary of
   * an imported model). Duplicates and symbols that are not one character throw a CharmError.
   */
  static fromSymbols(symbols: readonly string[]): Vocabulary {
    return Vocabulary.fromJSON({ version: 1, symbols: [...symbols], unknownId: null });
  }

  /** The sorted set of the text's characters, by code point: Python's `sorted(set(text))`, as the Keras and TensorFlow tutorials build it. */
  static fromTextCharacters(text: string): Vocabulary {
    const seen = new Set<number>();
    forEachCodePoint(text, (cp) => seen.add(cp));
    return Vocabulary.fromSymbols([...seen].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp)));
  }

  /** Restores a vocabulary saved with `toJSON`; malformed input throws a CharmError. */
  static fromJSON(json: unknown): Vocabulary {
    const bad = (why: string): never => {
      throw new CharmError(`Malformed vocabulary: ${why}.`);
    };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('expected an object');
    const { version, symbols, unknownId } = json as Record<string, unknown>;
    if (version !== 1) return bad(`unsupported version ${JSON.stringify(version) ?? 'undefined'}`);
    if (!Array.isArray(symbols) || symbols.length === 0) return bad('"symbols" must be a non-empty list');
    if (unknownId !== null && (typeof unknownId !== 'number' || !Number.isInteger(unknownId) || unknownId < 0 || unknownId >= symbols.length)) {
      return bad('"unknownId" must be the index of a symbol, or null');
    }
    const distinct = new Set<string>();
    const checked: string[] = [];
    symbols.forEach((s: unknown, id) => {
      if (typeof s !== 'string') return bad(`symbol ${id} is not a string`);
      if (id === unknownId) {
        if (s !== Vocabulary.UNKNOWN) bad(`the unknown symbol (id ${id}) must be the empty string`);
      } else if (!isOneCodePoint(s)) {
        bad(`symbol ${id} (${JSON.stringify(s)}) is not exactly one character`);
      } else if (distinct.has(s)) {
        bad(`symbol ${JSON.stringify(s)} appears twice`);
      }
      distinct.add(s);
      checked.push(s);
    });
    return new Vocabulary(checked, unknownId);
  }

  toJSON(): VocabularyJSON {
    return { version: 1, symbols: [...this.symbols], unknownId: this.unknownId };
  }

  /** One id per code point; characters outside the vocabulary become `unknownId`, or are skipped without one. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    const { bmp, astral, missing } = this;
    const length = text.length;
    let n = 0;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          const id = astral.get(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) ?? missing;
          if (id >= 0) out[n++] = id;
          i++;
          continue;
        }
      }
      const id = bmp[c];
      if (id >= 0) out[n++] = id;
    }
    // Only astral and skipped characters make the result shorter; copy then, so `.buffer` is exact.
    return n === length ? out : out.slice(0, n);
  }

  /** The text of `ids`; the unknown id becomes UNKNOWN_DISPLAY. Invalid ids throw a RangeError. */
  decode(ids: ArrayLike<number>): string {
    const { shown } = this;
    // Joined in chunks: a long chain of `+=` builds a rope costing tens of bytes per char.
    const chunks: string[] = [];
    let chunk: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = shown[ids[i]];
      if (s === undefined) throw new RangeError(`Invalid symbol id ${ids[i]} (vocabulary size ${this.size}).`);
      chunk.push(s);
      if (chunk.length === DECODE_CHUNK) {
        chunks.push(chunk.join(''));
        chunk = [];
      }
    }
    chunks.push(chunk.join(''));
    return chunks.length === 1 ? chunks[0] : chunks.join('');
  }

  /** The id of a one-character symbol; `unknownId` (null without one) for anything else or anything absent. */
  idOf(symbol: string): number | null {
    if (!isOneCodePoint(symbol)) return this.unknownId;
    const cp = symbol.codePointAt(0) ?? 0;
    const id = cp < BMP_SIZE ? this.bmp[cp] : (this.astral.get(cp) ?? this.missing);
    return id < 0 ? null : id;
  }

  /** The symbol of `id`: Vocabulary.UNKNOWN for the unknown id. Invalid ids throw a RangeError. */
  symbolOf(id: number): string {
    const s = this.symbols[id];
    if (s === undefined) throw new RangeError(`Invalid symbol id ${id} (vocabulary size ${this.size}).`);
    return s;
  }

  /** How many code points of `text` are outside the vocabulary (encode as `unknownId`, or are skipped without one). */
  countUnknown(text: string): number {
    const { bmp, astral, missing } = this;
    let unknown = 0;
    forEachCodePoint(text, (cp) => {
      const id = cp < BMP_SIZE ? bmp[cp] : (astral.get(cp) ?? missing);
      if (id === missing) unknown++;
    });
    return unknown;
  }
}

/** How often each code point occurs in the texts added, for `Vocabulary.fromCounts`. */
export class CodePointCounts {
  // Float64: exact far beyond 2^32, so a corpus of many gigabytes still counts right.
  private readonly bmp = new Float64Array(BMP_SIZE);
  private readonly astral = new Map<number, number>();

  /** Counts the code points of `text`; returns how many it has. */
  add(text: string): number {
    const { bmp, astral } = this;
    let n = 0;
    forEachCodePoint(text, (cp) => {
      n++;
      if (cp < BMP_SIZE) bmp[cp]++;
      else astral.set(cp, (astral.get(cp) ?? 0) + 1);
    });
    return n;
  }

  /** The code points seen, with their counts. */
  entries(): { cp: number; n: number }[] {
    const seen: { cp: number; n: number }[] = [];
    for (let cp = 0; cp < BMP_SIZE; cp++) if (this.bmp[cp] > 0) seen.push({ cp, n: this.bmp[cp] });
    for (const [cp, n] of this.astral) seen.push({ cp, n });
    return seen;
  }
}

function isOneCodePoint(s: string): boolean {
  if (s.length === 0 || s.length > 2) return false;
  const cp = s.codePointAt(0) ?? 0;
  return s.length === (cp >= BMP_SIZE ? 2 : 1);
}

/** Calls `fn` with each code point; a lone surrogate is passed as its own code unit. */
function forEachCodePoint(text: string, fn: (cp: number) => void): void {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        fn(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    fn(c);
  }
}
