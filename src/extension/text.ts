/** Small text helpers shared by the host and the inference process. */

/** Line ends as the corpus has them: CRLF and lone CR become LF. */
export function normalizeEol(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** A 32-bit FNV-1a hash, for reproducible sampling seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A remembered cursor position: its offset and the end of the text before it. */
export interface CursorMark {
  offset: number;
  /** The last characters before the cursor (normalized line ends). */
  before: string;
}

/** Characters of context a mark keeps: enough to be sure later typing happened at the same place. */
const MARK_CONTEXT = 32;

export function markAt(offset: number, window: string): CursorMark {
  return { offset, before: normalizeEol(window.slice(-2 * MARK_CONTEXT)).slice(-MARK_CONTEXT) };
}

/**
 * The text typed since `mark` (normalized line ends; '' at the mark itself), when the cursor is now
 * at `offset` with `window` before it and the text before the typed part still ends as it did at
 * the mark; undefined after a jump, an edit elsewhere or a move back.
 */
export function typedSince(mark: CursorMark, offset: number, window: string): string | undefined {
  const k = offset - mark.offset;
  if (k < 0 || k > window.length) return undefined;
  const before = normalizeEol(window.slice(0, window.length - k));
  if (!before.endsWith(mark.before) && !(before.length < mark.before.length && mark.before.endsWith(before))) return undefined;
  return normalizeEol(window.slice(window.length - k));
}
