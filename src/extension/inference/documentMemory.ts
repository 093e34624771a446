/**
 * An n-gram cache per document: what the user has in front of them and types, learned at once.
 * Requests carry the text before the cursor (a bounded window). Typing forward adds just the new
 * characters; any other move (a jump, an edit elsewhere, Backspace) relearns the window, which is
 * bounded, so a cache never grows past what a window and the typing since hold.
 */
import { CharNgram } from '../../model/ngram';
import { normalizeEol } from '../text';

interface Entry {
  ngram: CharNgram;
  /** Offset up to which the document's text has been learned. */
  end: number;
  /** The learned text's last characters, to recognise typing that continues it. */
  tail: string;
  /** Characters learned since the last relearn. */
  learned: number;
}

export interface DocumentMemoryOptions {
  order: number;
  maxDocuments: number;
  /** Past this many characters learned, the cache is rebuilt from the window (bounds its memory). */
  maxChars: number;
}

const TAIL = 32;

export class DocumentMemory {
  private readonly docs = new Map<string, Entry>();

  constructor(private readonly options: DocumentMemoryOptions) {}

  /** The document's cache, brought up to `offset` (`window` is the text before it). */
  update(doc: string, window: string, offset: number): CharNgram {
    const text = normalizeEol(window);
    let e = this.docs.get(doc);
    const typed = e ? offset - e.end : -1;
    if (e && typed === 0 && text.endsWith(e.tail)) {
      // Same place (another request at the cursor).
    } else if (e && typed > 0 && typed <= text.length && e.learned < this.options.maxChars && text.slice(0, text.length - typed).endsWith(e.tail)) {
      const added = text.slice(text.length - typed);
      e.ngram.add(added, text.slice(Math.max(0, text.length - typed - this.options.order), text.length - typed));
      e.learned += added.length;
    } else {
      e = { ngram: new CharNgram({ order: this.options.order }), end: offset, tail: '', learned: text.length };
      e.ngram.add(text);
    }
    e.end = offset;
    e.tail = text.slice(-TAIL);
    this.docs.delete(doc);
    this.docs.set(doc, e);
    while (this.docs.size > this.options.maxDocuments) this.docs.delete(this.docs.keys().next().value as string);
    return e.ngram;
  }

  forget(doc: string): void {
    this.docs.delete(doc);
  }

  clear(): void {
    this.docs.clear();
  }
}
