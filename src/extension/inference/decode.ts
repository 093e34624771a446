/**
 * Priming and sampling on a StepModel, in slices that yield to the event loop so a cancel message
 * can arrive in the middle (a child process reads its IPC messages only between tasks).
 */
import { sampleLoop } from '../../model/sampler';
import { normalizeEol } from '../text';
import type { StepModel, StepState } from '../../model/stepModel';

/** What decoding needs of a vocabulary (the engine's Vocabulary has it). */
export interface Codec {
  readonly unknownId: number | null;
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
  /** Stop after this many characters (code points). */
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
 * Samples a continuation with the engine's one decoding loop (src/model/sampler.ts), advancing
 * `state` through it and yielding to the event loop every few characters. Undefined when cancelled.
 */
export async function decode(
  model: StepModel,
  codec: Codec,
  state: StepState,
  options: DecodeOptions,
  isCancelled: () => boolean,
  onProgress?: (chars: number) => void,
): Promise<Decoded | undefined> {
  const loop = sampleLoop(model, state, codec, {
    maxLength: options.maxChars,
    temperature: options.temperature,
    topK: options.topK,
    seed: options.seed,
    stopAtNewline: options.stopAtNewline,
    shouldStop: isCancelled,
  });
  for (let r = loop.next(); ; r = loop.next()) {
    if (r.done) {
      const { text, logProbs, stoppedBy } = r.value;
      if (stoppedBy === 'cancelled') return undefined;
      return { text, logProbs, stoppedBy: stoppedBy === 'newline' ? 'newline' : 'length' };
    }
    if (r.value % SLICE === 0) {
      onProgress?.(r.value);
      await yieldNow();
    }
  }
}
