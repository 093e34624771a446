/**
 * A stateful one-step generator: prime with text in one call, then one step per character with
 * the LSTM state carried, as the TensorFlow tutorial's OneStep model does (instead of re-running
 * a window per character, as tfjs-examples does). Steps run on StepModel, outside tfjs's op graph.
 */
import * as tf from '@tensorflow/tfjs';
import type { CharModel } from './charModel';
import { matVecFor } from './kernels/matVecChoice';
import type { MatVecFactory } from './kernels/wasmMatVec';
import { StepModel, StepState } from './stepModel';
import { chooseNext, ChoiceOptions } from './sampling';
import { SeededRandom } from '../util/random';

/** What the generator needs of a vocabulary. */
export interface SymbolCodec {
  readonly size: number;
  readonly unknownId: number;
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

export interface GenerateOptions extends ChoiceOptions {
  maxLength: number;
  seed?: number;
  /** Generation ends when the text ends with one of these; the stop string is not returned. */
  stop?: string[];
  /** Checked between characters; generation ends early, keeping what it has. */
  shouldStop?: () => boolean;
}

export interface GenerateResult {
  text: string;
  /** Mean log-probability per generated character under the model (temperature 1). */
  meanLogProb: number;
  chars: number;
  stoppedBy: 'length' | 'stop' | 'cancelled';
  msPerChar: number;
}

export class Generator {
  private readonly steps: StepModel;
  private state: StepState;

  /**
   * The weights are copied out of `model` once; the generator does not follow later training.
   * @param matVec the product implementation (default: the best for the active tfjs backend)
   */
  constructor(model: CharModel, readonly codec: SymbolCodec, matVec: MatVecFactory = matVecFor(tf.getBackend(), { twoThreads: true }).factory) {
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
    if (!this.state.logits) this.feed('\n');
    return this.state.logits as Float32Array;
  }

  /** Generates up to maxLength characters after whatever has been fed. */
  generate(options: GenerateOptions): GenerateResult {
    const rng = new SeededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 31));
    const choice: ChoiceOptions = { ...options, bannedId: this.codec.unknownId };
    const stops = (options.stop ?? []).filter((s) => s.length > 0);
    const started = performance.now();
    let text = '';
    let logProbSum = 0;
    let chars = 0;
    let stoppedBy: GenerateResult['stoppedBy'] = 'length';
    while (chars < options.maxLength) {
      if (options.shouldStop?.()) { stoppedBy = 'cancelled'; break; }
      const next = chooseNext(this.nextLogits(), choice, rng);
      logProbSum += next.logProb;
      chars++;
      text += this.codec.decode([next.id]);
      this.steps.step(next.id, this.state);
      const stop = stops.find((s) => text.endsWith(s));
      if (stop !== undefined) {
        text = text.slice(0, text.length - stop.length);
        stoppedBy = 'stop';
        break;
      }
    }
    const ms = performance.now() - started;
    return { text, meanLogProb: chars ? logProbSum / chars : 0, chars, stoppedBy, msPerChar: chars ? ms / chars : 0 };
  }

  dispose(): void {
    this.steps.dispose();
  }
}
