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
