/**
 * The bounds of one adaptation to saved files (src/training/adapt.ts), in a file of their own so
 * that the extension host, which never loads tfjs, schedules with the same numbers.
 */
export const ADAPT_DEFAULTS = {
  /** Adam steps, at a constant rate: what the integrator measured (+0.8 points of keystrokes saved). */
  steps: 20,
  learningRate: 1e-3,
  /** Wall clock of one adaptation, loading and saving included. */
  maxSeconds: 60,
  /** The newest saved text learned at once (characters). */
  maxChars: 200_000,
  /** Quiet time after the last save before adapting. */
  debounceMs: 30_000,
};
