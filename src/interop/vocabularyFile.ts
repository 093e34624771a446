/**
 * The vocabulary of an imported model, which Keras and tfjs files do not carry: rebuilt from the
 * training text as the tutorials build it, or read from a JSON file: an index -> character list
 * (`["\n", " ", "!", ...]`, what `charm export` writes; an empty string or "[UNK]", as Keras'
 * StringLookup lists it, marks the unknown symbol) or a character -> index map (`{"\n": 0, ...}`),
 * or a Charm vocab.json.
 */
import * as fs from 'node:fs';
import { CharmError } from '../errors';
import { Vocabulary } from '../training/vocabulary';

export interface VocabularySource {
  kind: 'file' | 'from-text';
  path: string;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new CharmError(`Cannot read the ${what} ${file}: the file does not exist or is unreadable`);
  }
}

/** StringLookup's out-of-vocabulary token, at index 0 of the TensorFlow tutorial's get_vocabulary(). */
const KERAS_UNKNOWN = '[UNK]';

/** An index -> character list; "" (or "[UNK]") at one index is the unknown symbol. */
function fromList(raw: unknown[], file: string): Vocabulary {
  if (raw.some((s) => typeof s !== 'string')) throw new CharmError(`${file}: a vocabulary list must hold strings, one character each`);
  const list = raw.map((s) => (s === KERAS_UNKNOWN ? '' : s));
  const unknown = list.indexOf('');
  if (unknown >= 0 && list.indexOf('', unknown + 1) >= 0) throw new CharmError(`${file}: the vocabulary lists the empty string (the unknown symbol) twice`);
  return Vocabulary.fromJSON({ version: 1, symbols: list, unknownId: unknown >= 0 ? unknown : null });
}

/** A character -> index map: the indices must be 0..n-1, each once. */
function fromMap(map: Record<string, unknown>, file: string): Vocabulary {
  const entries = Object.entries(map);
  const symbols: string[] = new Array<string>(entries.length);
  for (const [symbol, index] of entries) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= entries.length || symbols[index] !== undefined) {
      throw new CharmError(
        `${file}: a character -> index map needs the indices 0 to ${entries.length - 1}, each once (${JSON.stringify(symbol)} has ${JSON.stringify(index)})`,
      );
    }
    symbols[index] = symbol;
  }
  return fromList(symbols, file);
}

/**
 * The TensorFlow tutorial's StringLookup puts [UNK] at id 0 before the sorted characters, so its
 * model has one symbol more than the text has characters: the text's vocabulary with the unknown
 * symbol first then fits it.
 */
export function withUnknownFirst(vocab: Vocabulary): Vocabulary {
  const symbols = Array.from({ length: vocab.size }, (_, id) => vocab.symbolOf(id));
  return Vocabulary.fromJSON({ version: 1, symbols: [Vocabulary.UNKNOWN, ...symbols], unknownId: 0 });
}

export function readVocabulary(source: VocabularySource): Vocabulary {
  if (source.kind === 'from-text') {
    const text = readText(source.path, 'text');
    if (text.length === 0) throw new CharmError(`${source.path} is empty: --vocab-from-text needs the text the model was trained on`);
    return Vocabulary.fromTextCharacters(text);
  }
  let json: unknown;
  try {
    json = JSON.parse(readText(source.path, 'vocabulary'));
  } catch (error) {
    if (error instanceof CharmError) throw error;
    throw new CharmError(`${source.path} is not valid JSON: --vocab takes a JSON list of characters or a character -> index map`);
  }
  if (Array.isArray(json)) return fromList(json, source.path);
  if (typeof json === 'object' && json !== null) {
    const record = json as Record<string, unknown>;
    return Array.isArray(record.symbols) && 'unknownId' in record ? Vocabulary.fromJSON(json) : fromMap(record, source.path);
  }
  throw new CharmError(`${source.path}: --vocab takes a JSON list of characters or a character -> index map`);
}
