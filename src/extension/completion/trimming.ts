/**
 * Turns what the model generated into what the editor shows: one line unless multiline is on,
 * at most maxLength characters, fitted to the text after the cursor, without trailing blanks, and
 * nothing at all when the model was unsure, when it would only repeat the next line, or when text
 * follows the cursor that a suggestion would collide with.
 */

export interface TrimInput {
  /** The generated text ('\n' line ends). */
  text: string;
  /** Log-probability of each code point of `text`, in order. */
  logProbs: readonly number[];
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
  /** Minimum geometric-mean probability per character of the kept text, 0..1. */
  minConfidence: number;
}

export type DropReason = 'empty' | 'text-after-cursor' | 'unsure' | 'repeats-next-line';

export type TrimResult =
  | { text: string; confidence: number }
  | { dropped: DropReason; confidence?: number };

/** Text after the cursor made only of these (and blanks) still allows a suggestion before it. */
const CLOSERS = /^[\s)\]}>"'`;,.:]*$/;

export function trimCompletion(input: TrimInput, rules: TrimRules): TrimResult {
  let chars = Array.from(input.text);
  let probs = input.logProbs.slice(0, chars.length);
  const cut = (n: number) => {
    chars = chars.slice(0, n);
    probs = probs.slice(0, n);
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
  const kept = Array.from(text).length;
  // Blanks removed above are at the end of lines; the probabilities of the first `kept` code
  // points are close enough to those of the kept text for a threshold.
  const scored = probs.slice(0, Math.max(1, kept));
  const confidence = Math.exp(scored.reduce((a, b) => a + b, 0) / scored.length);

  if (input.nextLine !== undefined && !textAfter) {
    const firstLine = (input.linePrefix + text.split('\n')[0]).trim();
    if (firstLine !== '' && firstLine === input.nextLine.trim()) return { dropped: 'repeats-next-line', confidence };
    if (rules.multiline && text.includes('\n')) {
      // Stop before a generated line that repeats the document's next line.
      const lines = text.split('\n');
      const repeat = lines.findIndex((l, k) => k > 0 && l.trim() !== '' && l.trim() === (input.nextLine as string).trim());
      if (repeat > 0) text = lines.slice(0, repeat).join('\n').replace(/\s+$/, '');
    }
  }
  if (!(confidence >= rules.minConfidence)) return { dropped: 'unsure', confidence };
  return { text, confidence };
}
