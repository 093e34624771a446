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
}

export interface Decoded {
  text: string;
  /** Log-probability (temperature 1) of each generated code point, in order. */
  logProbs: number[];
  stoppedBy: 'length' | 'newline';
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
  let text = '';
  const logProbs: number[] = [];
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
    text += symbol;
    logProbs.push(next.logProb);
    model.step(next.id, state);
  }
  return { text, logProbs, stoppedBy: 'length' };
}
