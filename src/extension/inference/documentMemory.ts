/**
 * An n-gram cache and a match model (matchModel.ts) per document: what the user has in front of
 * them and types, learned at once. Requests carry the text before the cursor (a bounded window).
 * Typing forward adds just the new characters; any other move (a jump, an edit elsewhere,
 * Backspace) relearns the window, which is bounded, so a cache never grows past what a window and
 * the typing since hold.
 */
import { CharNgram } from '../../model/ngram';
import { MatchIndex } from '../../model/matchModel';
import type { DocumentModels } from './nextChar';
import { CursorMark, markAt, normalizeEol, typedSince } from '../text';

interface Entry extends DocumentModels {
  match: MatchIndex;
  /** Where the document's text has been learned up to. */
  mark: CursorMark;
  /** Characters learned since the last relearn. */
  learned: number;
}

export interface DocumentMemoryOptions {
  order: number;
  maxDocuments: number;
  /** Past this many characters learned, the cache is rebuilt from the window (bounds its memory). */
  maxChars: number;
}

export class DocumentMemory {
  private readonly docs = new Map<string, Entry>();

  constructor(private readonly options: DocumentMemoryOptions) {}

  /** The document's cache, brought up to `offset` (`window` is the text before it). */
  update(doc: string, window: string, offset: number): Entry {
    let e = this.docs.get(doc);
    const typed = e ? typedSince(e.mark, offset, window) : undefined;
    if (e && typed !== undefined && e.learned < this.options.maxChars) {
      if (typed !== '') {
        const before = normalizeEol(window.slice(0, window.length - (offset - e.mark.offset)));
        e.ngram.add(typed, before.slice(-this.options.order));
        e.match.append(typed);
        e.learned += typed.length;
      }
    } else {
      const text = normalizeEol(window);
      e = { ngram: new CharNgram({ order: this.options.order }), match: new MatchIndex(), mark: markAt(offset, window), learned: text.length };
      e.ngram.add(text);
      e.match.append(text);
    }
    e.mark = markAt(offset, window);
    this.docs.delete(doc);
    this.docs.set(doc, e);
    while (this.docs.size > this.options.maxDocuments) this.docs.delete(this.docs.keys().next().value as string);
    return e;
  }

  forget(doc: string): void {
    this.docs.delete(doc);
  }

  clear(): void {
    this.docs.clear();
  }
}
