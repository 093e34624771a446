/**
 * A stateful one-step generator: prime with text in one call, then one step per character with
 * the LSTM state carried, as the TensorFlow tutorial's OneStep model does (instead of re-running
 * a window per character, as tfjs-examples does). Steps run on StepModel, outside tfjs's op graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { CharModel } from './charModel';
import { matVecFor, type MatVecFactory } from '../accel';
import { StepModel, StepState } from './stepModel';
import { chooseNext, ChoiceOptions } from './sampling';
import { SeededRandom } from '../util/random';

/** What the generator needs of a vocabulary. */
export interface SymbolCodec {
  readonly size: number;
  /** null: no unknown symbol (an imported vocabulary); nothing is banned from sampling. */
  readonly unknownId: number | null;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

/**
 * What an empty state is primed with: a newline, as training text starts after one; symbol 0 for
 * an imported vocabulary without a newline (it has no unknown symbol to stand in).
 */
export function startIds(codec: Pick<SymbolCodec, 'encode'>): ArrayLike<number> {
  const ids = codec.encode('\n');
  return ids.length > 0 ? ids : [0];
}

export interface GenerateOptions extends Omit<SampleLoopOptions, 'seed'> {
  /** Default: a random seed. */
  seed?: number;
}

export interface GenerateResult {
  text: string;
  /** Mean log-probability per generated character under the model (temperature 1). */
  meanLogProb: number;
  chars: number;
  stoppedBy: 'length' | 'stop' | 'cancelled';
  msPerChar: number;
}

/** What one run of the sampling loop is asked for. */
export interface SampleLoopOptions extends ChoiceOptions {
  /** Characters (code points) to generate at most. */
  maxLength: number;
  seed: number;
  /** Generation ends when the text ends with one of these; the stop string is not returned. */
  stop?: string[];
  /** End at the first newline (not included). */
  stopAtNewline?: boolean;
  /** Checked between characters: generation ends early, keeping what it has. */
  shouldStop?: () => boolean;
}

export interface SampledText {
  text: string;
  /** log p of each generated character under the model itself (temperature 1). */
  logProbs: number[];
  stoppedBy: 'length' | 'stop' | 'newline' | 'cancelled';
}

/**
 * THE decoding loop, for every front end (the CLI's sampler, the completion process's generation
 * and samples): choose a symbol from the logits, feed it back with the state carried. It yields
 * after each character (the number generated so far) so that an asynchronous caller can pause it
 * (the completion process yields to its event loop, where a cancel message arrives); a synchronous
 * caller runs it through. Its return value is the result. An empty state (nothing fed) starts as after a newline, as training text does.
 */
export function* sampleLoop(
  steps: StepModel,
  state: StepState,
  codec: Omit<SymbolCodec, 'size'>,
  options: SampleLoopOptions,
): Generator<number, SampledText, void> {
  if (!state.logits) steps.feed(startIds(codec), state);
  const rng = new SeededRandom(options.seed);
  const choice: ChoiceOptions = { temperature: options.temperature, topK: options.topK, topP: options.topP, bannedId: codec.unknownId ?? undefined };
  const stops = (options.stop ?? []).filter((t) => t.length > 0);
  const chunks: string[] = [];
  const logProbs: number[] = [];
  let tail = '';
  while (logProbs.length < options.maxLength) {
    if (options.shouldStop?.()) return { text: chunks.join(''), logProbs, stoppedBy: 'cancelled' };
    const next = chooseNext(state.logits as Float32Array, choice, rng);
    const symbol = codec.decode([next.id]);
    if (options.stopAtNewline && symbol === '\n') return { text: chunks.join(''), logProbs, stoppedBy: 'newline' };
    chunks.push(symbol);
    logProbs.push(next.logProb);
    steps.step(next.id, state);
    if (stops.length) {
      tail = (tail + symbol).slice(-Math.max(...stops.map((t) => t.length)));
      const stop = stops.find((t) => tail.endsWith(t));
      if (stop !== undefined) {
        const text = chunks.join('');
        return { text: text.slice(0, text.length - stop.length), logProbs, stoppedBy: 'stop' };
      }
    }
    yield logProbs.length;
  }
  return { text: chunks.join(''), logProbs, stoppedBy: 'length' };
}

export class TextGenerator {
  private readonly steps: StepModel;
  private state: StepState;

  /**
   * The weights are copied out of `model` once; the generator does not follow later training.
   * @param matVec the product implementation (default: the best for the active tfjs backend)
   */
  constructor(
    model: CharModel,
    readonly codec: SymbolCodec,
    matVec: MatVecFactory = matVecFor(tf.getBackend(), { twoThreads: true }).factory,
  ) {
    this.steps = new StepModel(model.config, model.weightValues(), matVec);
    this.state = this.steps.zeroState();
  }

  /** Forgets the context. */
  reset(): void {
    this.state = this.steps.zeroState();
  }

  /** Feeds text, continuing from the current state. */
  feed(text: string): void {
    this.feedIds(this.codec.encode(text));
  }

  feedIds(ids: ArrayLike<number>): void {
    this.steps.feed(ids, this.state);
  }

  /** Logits of the next character's distribution; primes with a newline when nothing was fed. */
  nextLogits(): Float32Array {
    if (!this.state.logits) this.feedIds(startIds(this.codec));
    return this.state.logits as Float32Array;
  }

  /** Generates up to maxLength characters after whatever has been fed. */
  generate(options: GenerateOptions): GenerateResult {
    const started = performance.now();
    const loop = sampleLoop(this.steps, this.state, this.codec, { ...options, seed: options.seed ?? Math.floor(Math.random() * 2 ** 31) });
    let r = loop.next();
    while (!r.done) r = loop.next();
    const { text, logProbs, stoppedBy } = r.value;
    const ms = performance.now() - started;
    const chars = logProbs.length;
    return {
      text,
      chars,
      msPerChar: chars ? ms / chars : 0,
      meanLogProb: chars ? logProbs.reduce((x: number, y: number) => x + y, 0) / chars : 0,
      stoppedBy: stoppedBy === 'newline' ? 'stop' : stoppedBy,
    };
  }

  dispose(): void {
    this.steps.dispose();
  }
}
