/**
 * Reusing a suggestion while the user types it: if the characters typed since a suggestion was
 * shown are its beginning, the rest of it is still the suggestion, with no model call.
 */
import { CursorMark, markAt, typedSince } from '../text';

interface Shown {
  mark: CursorMark;
  suggestion: string;
}

export class TypeThrough {
  private readonly shown = new Map<string, Shown>();

  remember(doc: string, offset: number, window: string, suggestion: string): void {
    this.shown.set(doc, { mark: markAt(offset, window), suggestion });
  }

  /** The rest of the remembered suggestion if the user typed its start; else undefined. */
  match(doc: string, offset: number, window: string): string | undefined {
    const s = this.shown.get(doc);
    if (!s || offset <= s.mark.offset) return undefined;
    const typed = typedSince(s.mark, offset, window);
    if (typed === undefined || typed.length >= s.suggestion.length || !s.suggestion.startsWith(typed)) return undefined;
    return s.suggestion.slice(typed.length);
  }

  forget(doc: string): void {
    this.shown.delete(doc);
  }

  clear(): void {
    this.shown.clear();
  }
}
