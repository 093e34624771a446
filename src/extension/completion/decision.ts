/**
 * How much of a continuation to show. A Tab user accepts a suggestion only when all of it is right,
 * saving its length minus the one Tab; the chance of that is the (calibrated) probability of the
 * shown prefix. So show the prefix that saves the most keystrokes in expectation,
 * P(prefix) x (length - 1), among those at least `minProbability` likely; nothing when none is.
 * 'expected' may stop inside a word (after accepting, the next suggestion goes on from there): on
 * the keystroke benchmark cutting only at token ends ('expected-token') saved 3.5 points fewer.
 * 'longest' (the longest likely-enough prefix, the n-gram anchor's rule) is kept for the ablation.
 */

export type DecisionRule = 'expected' | 'expected-token' | 'longest' | 'longest-token';

export interface DecisionInput {
  /** The continuation, as trimmed for display. */
  text: string;
  /** Conditional log-probability of each code point of `text`, in order. */
  logProbs: readonly number[];
  /** The character that follows `text` in the continuation ('' when unknown). */
  next: string;
}

/**
 * The prior of calibration.ts: a suggestion's chance of being right is about its joint probability
 * raised to this power until the user's own typing says otherwise (rxjs 7.8.1's held-out files,
 * bench:keystrokes calibration table).
 */
export const CALIBRATION_EXPONENT = 0.5;

/** The model's joint probability whose calibrated value is `probability`. */
export function uncalibrated(probability: number, calibration = CALIBRATION_EXPONENT): number {
  return calibration > 0 ? Math.pow(probability, 1 / calibration) : probability;
}

export interface Decision {
  text: string;
  /** The chance that `text` is right: its joint probability, calibrated. */
  probability: number;
  /** Joint log-probability of `text` under the model (uncalibrated). */
  logP: number;
}

const WORD = /[\p{L}\p{N}_$]/u;

function isWord(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && WORD.test(ch);
}

/** Undefined: show nothing. */
export function decide(
  input: DecisionInput,
  minProbability: number,
  rule: DecisionRule = 'expected',
  calibration = CALIBRATION_EXPONENT,
): Decision | undefined {
  const chars = Array.from(input.text);
  let logP = 0;
  let units = 0;
  let chosen: { k: number; units: number; logP: number; value: number } | undefined;
  for (let k = 1; k <= chars.length; k++) {
    logP += calibration * (input.logProbs[k - 1] ?? 0);
    units += chars[k - 1].length;
    const p = Math.exp(logP);
    if (!(p >= minProbability)) break;
    const after = k < chars.length ? chars[k] : input.next;
    // Trailing blanks are never shown, so a cut there is the same as the one before them.
    if (/\s/.test(chars[k - 1])) continue;
    // Token rules never leave half a word.
    if (rule.endsWith('-token') && isWord(chars[k - 1]) && isWord(after)) continue;
    const value = rule.startsWith('longest') ? k : p * (units - 1);
    if (!chosen || value > chosen.value) chosen = { k, units, logP, value };
  }
  if (!chosen || chosen.units < 2) return undefined;
  return { text: chars.slice(0, chosen.k).join(''), probability: Math.exp(chosen.logP), logP: chosen.logP / calibration };
}
