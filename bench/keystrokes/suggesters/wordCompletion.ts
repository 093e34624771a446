/**
 * The word-completion anchor in its best form: the most frequent word starting with the word being
 * typed, counted over the training files, the files saved since and the words already typed in this
 * file, shown (its rest) when it holds at least `minShare` of that prefix's uses. What an editor
 * gives for free.
 */
import { fitGhostText } from '../limits';
import type { Cursor, Suggester, Suggestion } from '../simulation';
import { wordBeforeCursor, wordsOf } from '../words';

/** Word counts with, per prefix, its total uses and its most frequent longer word. */
class WordCounts {
  readonly count = new Map<string, number>();
  /** Uses of all words that start with the prefix (the prefix itself included). */
  private readonly uses = new Map<string, number>();
  /** The most frequent word strictly longer than the prefix (counts only grow, so this stays exact). */
  private readonly best = new Map<string, string>();

  add(word: string): void {
    const n = (this.count.get(word) ?? 0) + 1;
    this.count.set(word, n);
    for (let k = 1; k <= word.length; k++) {
      const prefix = word.slice(0, k);
      this.uses.set(prefix, (this.uses.get(prefix) ?? 0) + 1);
      if (k === word.length) break;
      const b = this.best.get(prefix);
      if (b === undefined || b === word || (this.count.get(b) ?? 0) < n) this.best.set(prefix, word);
    }
  }

  usesOf(prefix: string): number {
    return this.uses.get(prefix) ?? 0;
  }

  bestLonger(prefix: string): string | undefined {
    return this.best.get(prefix);
  }
}

interface DocumentWords {
  counts: WordCounts;
  /** The end of the document after its last counted word. */
  pending: string;
}

export class WordCompletionSuggester implements Suggester {
  readonly name: string;
  /** The training files' words and those of the files saved in this session. */
  private training = new WordCounts();
  private readonly docs = new Map<string, DocumentWords>();

  constructor(
    private readonly trainingTexts: readonly string[],
    private readonly minShare = 0.25,
    name = 'word completion',
  ) {
    this.name = name;
    this.startSession();
  }

  startSession(): void {
    this.training = new WordCounts();
    for (const text of this.trainingTexts) this.count(text);
  }

  saved(file: { text: string }): void {
    this.count(file.text);
  }

  private count(text: string): void {
    for (const { word } of wordsOf(text)) this.training.add(word);
  }

  open(doc: string): void {
    this.docs.set(doc, { counts: new WordCounts(), pending: '' });
  }

  async suggest(at: Cursor): Promise<Suggestion | undefined> {
    const prefix = wordBeforeCursor(at.before);
    if (prefix === '') return undefined;
    const own = this.docs.get(at.doc)?.counts;
    const countOf = (w: string) => (this.training.count.get(w) ?? 0) + (own?.count.get(w) ?? 0);
    // The most frequent in the sum is the training's best or a word of this file.
    let word = this.training.bestLonger(prefix);
    let n = word === undefined ? 0 : countOf(word);
    if (own) {
      for (const w of own.count.keys()) {
        if (w.length > prefix.length && w.startsWith(prefix) && countOf(w) > n) {
          word = w;
          n = countOf(w);
        }
      }
    }
    const uses = this.training.usesOf(prefix) + (own?.usesOf(prefix) ?? 0);
    if (word === undefined || uses === 0 || n / uses < this.minShare) return undefined;
    const text = fitGhostText(word.slice(prefix.length), at.before);
    return text === '' ? undefined : { text, probability: n / uses };
  }

  entered(doc: string, _before: string, text: string): void {
    const d = this.docs.get(doc);
    if (!d) return;
    d.pending += text;
    // Count the words that are finished (followed by something); keep the one being typed pending.
    let done = 0;
    for (const { word, end } of wordsOf(d.pending)) {
      if (end >= d.pending.length) break;
      d.counts.add(word);
      done = end;
    }
    d.pending = d.pending.slice(done);
  }

  close(doc: string): void {
    this.docs.delete(doc);
  }
}
