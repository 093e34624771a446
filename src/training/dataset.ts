/**
 * Turns a corpus, already encoded as ids, into training and validation batches. The corpus stays
 * one Int32Array (4 bytes a character); tensors are made one batch at a time.
 */
import { CharmError } from '../errors';
import { SeededRandom } from '../util/random';

export interface DatasetOptions {
  seqLength: number;
  batchSize: number;
  /** Fraction of the corpus, taken from its end, held out for validation. */
  valFraction: number;
  seed: number;
}

/** Batch-major [batchSize, seqLength] ids; targets are the inputs shifted by one character. */
export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  batchSize: number;
  seqLength: number;
}

/** How many ids, from the end of a corpus of `length`, are held out for validation (prepared data splits the same way). */
export function validationLength(length: number, valFraction: number): number {
  return Math.floor(length * valFraction);
}

export class CharDataset {
  readonly train: Int32Array;
  readonly val: Int32Array;
  private readonly chunksPerEpoch: number;
  private orderEpoch = -1;
  private order: Uint32Array = new Uint32Array(0);
  private offset = 0;

  constructor(
    ids: Int32Array,
    readonly options: DatasetOptions,
  ) {
    const { seqLength, valFraction } = options;
    if (!(valFraction >= 0 && valFraction < 1)) throw new CharmError(`Validation fraction must be in [0, 1), got ${valFraction}`);
    const valLength = validationLength(ids.length, valFraction);
    this.train = ids.subarray(0, ids.length - valLength);
    this.val = ids.subarray(ids.length - valLength);
    if (this.train.length < seqLength + 1) {
      throw new CharmError(
        `The corpus is too short: its training part has ${this.train.length} characters, fewer than one sequence (${seqLength + 1}). ` +
          'Add text or lower --seq-length.',
      );
    }
    // Chunks of seqLength + 1 (the last character of one chunk is the target of its last step);
    // consecutive chunks overlap by one character so no target is skipped.
    this.chunksPerEpoch = Math.floor((this.train.length - 1) / seqLength);
  }

  /** Batches in one pass over the training part; a small corpus still gives one batch. */
  get batchesPerEpoch(): number {
    return Math.max(1, Math.floor(this.chunksPerEpoch / this.options.batchSize));
  }

  get hasValidation(): boolean {
    return this.val.length >= 2;
  }

  /**
   * The index-th batch of an epoch. Each epoch shuffles the chunk order and shifts the chunk
   * boundaries by a random offset, both from the seed, so a resumed run sees the same batches.
   */
  trainBatch(epoch: number, index: number): Batch {
    const { seqLength, batchSize } = this.options;
    if (epoch !== this.orderEpoch) {
      const rng = new SeededRandom(this.options.seed * 7919 + epoch);
      // The offset must leave room for every chunk: the last one ends at offset + chunks * seq + 1.
      const slack = this.train.length - 1 - this.chunksPerEpoch * seqLength;
      this.offset = rng.int(slack + 1);
      this.order = rng.shuffle(Uint32Array.from({ length: this.chunksPerEpoch }, (_, i) => i));
      this.orderEpoch = epoch;
    }
    const inputs = new Int32Array(batchSize * seqLength);
    const targets = new Int32Array(batchSize * seqLength);
    for (let b = 0; b < batchSize; b++) {
      // Wraps around when the corpus holds fewer chunks than one batch.
      const chunk = this.order[(index * batchSize + b) % this.chunksPerEpoch];
      const start = this.offset + chunk * seqLength;
      inputs.set(this.train.subarray(start, start + seqLength), b * seqLength);
      targets.set(this.train.subarray(start + 1, start + seqLength + 1), b * seqLength);
    }
    return { inputs, targets, batchSize, seqLength };
  }

  /**
   * Validation batches: contiguous, non-overlapping sequences from the held-out tail, in order.
   * @param batchSize evaluation keeps no activations for a backward pass, so it can use larger
   *   batches than training (fewer, larger ops); defaults to the training batch size
   */
  *validationBatches(maxChars = Infinity, batchSize = this.options.batchSize): Generator<Batch> {
    yield* sequentialBatches(this.val, this.options.seqLength, batchSize, maxChars);
  }
}

/**
 * Contiguous sequences over a whole id stream (evaluation): every character after the first is
 * predicted once. The last batch may be smaller; a stream shorter than seqLength + 1 gives one
 * shorter sequence.
 */
export function* sequentialBatches(ids: Int32Array, seqLength: number, batchSize: number, maxChars = Infinity): Generator<Batch> {
  if (ids.length < 2) return;
  const seq = Math.min(seqLength, ids.length - 1);
  const limit = Math.min(ids.length - 1, Number.isFinite(maxChars) ? Math.max(seq, Math.floor(maxChars)) : Infinity);
  const sequences = Math.floor(limit / seq);
  for (let first = 0; first < sequences; first += batchSize) {
    const count = Math.min(batchSize, sequences - first);
    const inputs = new Int32Array(count * seq);
    const targets = new Int32Array(count * seq);
    for (let b = 0; b < count; b++) {
      const start = (first + b) * seq;
      inputs.set(ids.subarray(start, start + seq), b * seq);
      targets.set(ids.subarray(start + 1, start + seq + 1), b * seq);
    }
    yield { inputs, targets, batchSize: count, seqLength: seq };
  }
}
