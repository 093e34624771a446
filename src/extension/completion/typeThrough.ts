/**
 * Reusing a suggestion while the user types it: if the characters typed since a suggestion was
 * shown are its beginning, the rest of it is still the suggestion, with no model call.
 */
import { normalizeEol } from '../text';

interface Shown {
  offset: number;
  /** The end of the text before the cursor when it was shown (normalized line ends). */
  before: string;
  suggestion: string;
}

/** Context compared to be sure the typing happened at the same place. */
const CONTEXT = 32;

export class TypeThrough {
  private readonly shown = new Map<string, Shown>();

  remember(doc: string, offset: number, window: string, suggestion: string): void {
    this.shown.set(doc, { offset, before: normalizeEol(window).slice(-CONTEXT), suggestion });
  }

  /** The rest of the remembered suggestion if the user typed its start; else undefined. */
  match(doc: string, offset: number, window: string): string | undefined {
    const s = this.shown.get(doc);
    if (!s) return undefined;
    const k = offset - s.offset;
    if (k <= 0 || k > window.length) return undefined;
    const typed = normalizeEol(window.slice(window.length - k));
    if (typed.length >= s.suggestion.length || !s.suggestion.startsWith(typed)) return undefined;
    const before = normalizeEol(window.slice(0, window.length - k));
    if (!before.endsWith(s.before) && !(before.length < s.before.length && s.before.endsWith(before))) return undefined;
    return s.suggestion.slice(typed.length);
  }

  forget(doc: string): void {
    this.shown.delete(doc);
  }

  clear(): void {
    this.shown.clear();
  }
}
