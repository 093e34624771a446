/**
 * A stateful one-step generator: prime with text in one call, then one step per character with
 * the LSTM state carried, as the TensorFlow tutorial's OneStep model does (instead of re-running
 * a window per character, as tfjs-examples does).
 */
import * as tf from '@tensorflow/tfjs';
import { CharModel, RecurrentState, disposeState } from './charModel';
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

/** Feeding long primes in pieces bounds the memory of one forward pass. */
const PRIME_CHUNK = 512;

export class Generator {
  private state: RecurrentState;
  private logits: Float32Array | null = null;
  /** Embedding x first kernel + bias, computed once instead of once per character. */
  private readonly table: tf.Tensor2D;

  constructor(readonly model: CharModel, readonly codec: SymbolCodec) {
    this.state = model.zeroState(1);
    this.table = tf.tidy(() => model.firstLayerTable());
  }

  /** Forgets the context. */
  reset(): void {
    disposeState(this.state);
    this.state = this.model.zeroState(1);
    this.logits = null;
  }

  /** Feeds text, continuing from the current state. */
  feed(text: string): void {
    this.feedIds(this.codec.encode(text));
  }

  feedIds(ids: Int32Array): void {
    if (ids.length === 1) {
      const out = this.model.stepOne(ids[0], this.state, this.table);
      disposeState(this.state);
      this.state = out.state;
      this.logits = out.logits.dataSync() as Float32Array;
      out.logits.dispose();
      return;
    }
    for (let start = 0; start < ids.length; start += PRIME_CHUNK) {
      const piece = ids.subarray(start, Math.min(ids.length, start + PRIME_CHUNK));
      const input = tf.tensor2d(piece, [1, piece.length], 'int32');
      const out = this.model.advance(input, this.state, this.table);
      input.dispose();
      disposeState(this.state);
      this.state = out.state;
      this.logits = out.logits.dataSync() as Float32Array;
      out.logits.dispose();
    }
  }

  /** Probability distribution's logits for the next character; primes with a newline when empty. */
  nextLogits(): Float32Array {
    if (!this.logits) this.feed('\n');
    return this.logits as Float32Array;
  }

  /** A copy of the carried state, to come back to later (the caller disposes it). */
  snapshot(): { state: RecurrentState; logits: Float32Array | null } {
    return {
      state: this.state.map((s) => ({ h: tf.clone(s.h), c: s.c ? tf.clone(s.c) : undefined })),
      logits: this.logits ? this.logits.slice() : null,
    };
  }

  restore(snapshot: { state: RecurrentState; logits: Float32Array | null }): void {
    disposeState(this.state);
    this.state = snapshot.state.map((s) => ({ h: tf.clone(s.h), c: s.c ? tf.clone(s.c) : undefined }));
    this.logits = snapshot.logits ? snapshot.logits.slice() : null;
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
      this.feedIds(Int32Array.of(next.id));
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
    disposeState(this.state);
    this.table.dispose();
  }
}
