/**
 * Priming and sampling on a StepModel, in slices that yield to the event loop so a cancel message
 * can arrive in the middle (a child process reads its IPC messages only between tasks).
 */
import { chooseNext } from '../../model/sampling';
import { SeededRandom } from '../../util/random';
import { normalizeEol } from '../text';
import type { StepModel, StepState } from '../../model/stepModel';

/** What decoding needs of a vocabulary (the engine's Vocabulary has it). */
export interface Codec {
  readonly unknownId: number;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/** Steps between yields: a step is well under a millisecond, a yield a few microseconds. */
const SLICE = 16;

export const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Feeds text into `state`; false when cancelled part-way (the state is then unusable). */
export async function prime(model: StepModel, codec: Codec, state: StepState, text: string, isCancelled: () => boolean): Promise<boolean> {
  const ids = codec.encode(normalizeEol(text));
  for (let k = 0; k < ids.length; k++) {
    if (k % SLICE === SLICE - 1) {
      await yieldNow();
      if (isCancelled()) return false;
    }
    model.step(ids[k], state);
  }
  return true;
}

export interface DecodeOptions {
  /** Stop after this many UTF-16 code units. */
  maxChars: number;
  /** 0 = always the most likely character. */
  temperature: number;
  seed: number;
  /** End at the first newline (not included). */
  stopAtNewline: boolean;
  topK?: number;
  /**
   * 0..1: generation ends as soon as the running geometric-mean probability of the generated
   * characters falls below this, and returns the longest prefix that stayed at or above it ('' if
   * none). A suggestion is only shown when confident, so the unsure rest is never worth computing.
   */
  minConfidence?: number;
}

export interface Decoded {
  text: string;
  /** Log-probability (temperature 1) of each generated code point, in order. */
  logProbs: number[];
  stoppedBy: 'length' | 'newline' | 'unsure';
}

/**
 * Samples a continuation, advancing `state` through it. Undefined when cancelled.
 * An empty state (nothing fed) starts as after a newline, as the engine's Generator does.
 */
export async function decode(
  model: StepModel, codec: Codec, state: StepState, options: DecodeOptions,
  isCancelled: () => boolean, onProgress?: (chars: number) => void,
): Promise<Decoded | undefined> {
  if (!state.logits) model.feed(codec.encode('\n'), state);
  const rng = new SeededRandom(options.seed);
  const choice = { temperature: options.temperature, topK: options.topK, bannedId: codec.unknownId };
  const floor = options.minConfidence !== undefined && options.minConfidence > 0 ? Math.log(options.minConfidence) : -Infinity;
  let text = '';
  const logProbs: number[] = [];
  let sum = 0;
  /** Length of the text and of logProbs at the last point where the running mean was confident. */
  let sure = { chars: 0, symbols: 0 };
  let steps = 0;
  while (text.length < options.maxChars) {
    if (++steps % SLICE === 0) {
      onProgress?.(text.length);
      await yieldNow();
    }
    if (isCancelled()) return undefined;
    const next = chooseNext(state.logits as Float32Array, choice, rng);
    const symbol = codec.decode([next.id]);
    if (options.stopAtNewline && symbol === '\n') return { text, logProbs, stoppedBy: 'newline' };
    sum += next.logProb;
    if (sum / (logProbs.length + 1) < floor) {
      return { text: text.slice(0, sure.chars), logProbs: logProbs.slice(0, sure.symbols), stoppedBy: 'unsure' };
    }
    text += symbol;
    logProbs.push(next.logProb);
    sure = { chars: text.length, symbols: logProbs.length };
    model.step(next.id, state);
  }
  return { text, logProbs, stoppedBy: 'length' };
}
