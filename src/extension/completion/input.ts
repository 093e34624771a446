/**
 * What the completion pipeline is given at the cursor, built the same way by every front end: the
 * editor (host/inlineProvider.ts), `charm complete` and the keystroke benchmark.
 */
import type { CompletionInput } from './completionService';

/**
 * Text before the cursor passed to the engine: the LSTM primes from the last `contextChars` of it,
 * the workspace memory learns the document from all of it.
 */
export const BEFORE_CHARS = 4096;

export interface CursorText {
  /** The document's identity (its URI). */
  doc: string;
  /** Changes whenever the document's text changes (cache key). */
  version: number;
  languageId: string;
  /** Cursor offset in the document. */
  offset: number;
  /** Text before the cursor (only its last BEFORE_CHARS are used). */
  before: string;
  /** The rest of the cursor's line after it. */
  after: string;
  /** The line below the cursor's, if any. */
  nextLine?: string;
  /** Asked for explicitly (e.g. Alt+\): no debounce. */
  explicit?: boolean;
}

export function completionInputFrom(c: CursorText): CompletionInput {
  const window = c.before.length > BEFORE_CHARS ? c.before.slice(-BEFORE_CHARS) : c.before;
  const lineStart = Math.max(window.lastIndexOf('\n') + 1, 0);
  return {
    doc: c.doc,
    version: c.version,
    languageId: c.languageId,
    offset: c.offset,
    window,
    linePrefix: window.slice(lineStart),
    lineSuffix: c.after,
    nextLine: c.nextLine,
    eol: window.includes('\r\n') ? '\r\n' : '\n',
    explicit: c.explicit,
  };
}
