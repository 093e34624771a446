/**
 * Turns what the model generated into what the editor may show: one line unless multiline is on,
 * at most maxLength characters, fitted to the text after the cursor, without trailing blanks, and
 * nothing at all when it would only repeat the next line or when text follows the cursor that a
 * suggestion would collide with. How much of the rest is worth showing is decision.ts's question.
 */

export interface TrimInput {
  /** The generated text ('\n' line ends). */
  text: string;
  /** The line before the cursor. */
  linePrefix: string;
  /** The rest of the line after the cursor. */
  lineSuffix: string;
  /** The line below the cursor's, if any. */
  nextLine?: string;
}

export interface TrimRules {
  maxLength: number;
  multiline: boolean;
}

export type DropReason = 'empty' | 'text-after-cursor' | 'repeats-next-line';

export type TrimResult = { text: string } | { dropped: DropReason };

/** Text after the cursor made only of these (and blanks) still allows a suggestion before it. */
const CLOSERS = /^[\s)\]}>"'`;,.:]*$/;

export function trimCompletion(input: TrimInput, rules: TrimRules): TrimResult {
  let chars = Array.from(input.text);
  const cut = (n: number) => {
    chars = chars.slice(0, n);
  };

  const suffix = input.lineSuffix;
  const textAfter = suffix.trim() !== '';
  if (textAfter && !CLOSERS.test(suffix)) return { dropped: 'text-after-cursor' };

  // One line unless multiline is on and nothing follows the cursor.
  if (!rules.multiline || textAfter) {
    const nl = chars.indexOf('\n');
    if (nl >= 0) cut(nl);
  }
  // Before the closer the line already has: "f(|)" + "x, y) {" -> "x, y".
  if (textAfter) {
    const closer = suffix.trim()[0];
    const at = chars.indexOf(closer);
    if (at >= 0) cut(at);
  }
  // maxLength in UTF-16 code units, never splitting a character.
  let units = 0;
  for (let k = 0; k < chars.length; k++) {
    units += chars[k].length;
    if (units > rules.maxLength) {
      cut(k);
      break;
    }
  }
  // No trailing blanks, on any line.
  let text = chars.join('').replace(/[ \t]+(?=\n|$)/g, '');
  if (text.trim() === '') return { dropped: 'empty' };

  if (input.nextLine !== undefined && !textAfter) {
    const firstLine = (input.linePrefix + text.split('\n')[0]).trim();
    if (firstLine !== '' && firstLine === input.nextLine.trim()) return { dropped: 'repeats-next-line' };
    if (rules.multiline && text.includes('\n')) {
      // Stop before a generated line that repeats the document's next line.
      const lines = text.split('\n');
      const repeat = lines.findIndex((l, k) => k > 0 && l.trim() !== '' && l.trim() === (input.nextLine as string).trim());
      if (repeat > 0) text = lines.slice(0, repeat).join('\n').replace(/\s+$/, '');
    }
  }
  return { text };
}
