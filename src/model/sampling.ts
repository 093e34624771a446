/** Choosing the next symbol from logits: pure functions over a Float32Array, no tensors. */
import { SeededRandom } from '../util/random';

export interface ChoiceOptions {
  /** 0 picks the most likely symbol; higher values flatten the distribution. */
  temperature: number;
  /** Keep only the k most likely symbols (0 or undefined: all). */
  topK?: number;
  /** Keep the smallest set of symbols whose probability reaches p (1 or undefined: all). */
  topP?: number;
  /** A symbol never to emit (the unknown symbol). */
  bannedId?: number;
}

export interface Choice {
  id: number;
  /** log p(id) under the model itself (temperature 1), for confidence thresholds. */
  logProb: number;
}

function logSoftmaxAt(logits: Float32Array, id: number, banned: number): number {
  let max = -Infinity;
  for (let k = 0; k < logits.length; k++) if (k !== banned && logits[k] > max) max = logits[k];
  let sum = 0;
  for (let k = 0; k < logits.length; k++) if (k !== banned) sum += Math.exp(logits[k] - max);
  return logits[id] - max - Math.log(sum);
}

export function chooseNext(logits: Float32Array, options: ChoiceOptions, rng: SeededRandom): Choice {
  const banned = options.bannedId ?? -1;
  const n = logits.length;
  let best = -1;
  for (let k = 0; k < n; k++) if (k !== banned && (best < 0 || logits[k] > logits[best])) best = k;
  if (best < 0) throw new Error('No symbol can be sampled: the vocabulary has only the unknown symbol');
  if (!(options.temperature > 0)) return { id: best, logProb: logSoftmaxAt(logits, best, banned) };

  // Candidates sorted by logit, most likely first, so top-k and top-p are prefixes.
  const order: number[] = [];
  for (let k = 0; k < n; k++) if (k !== banned) order.push(k);
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  const topK = options.topK && options.topK > 0 ? Math.min(options.topK, order.length) : order.length;
  const probs = new Float64Array(topK);
  let total = 0;
  for (let r = 0; r < topK; r++) {
    probs[r] = Math.exp((logits[order[r]] - logits[best]) / options.temperature);
    total += probs[r];
  }
  let keep = topK;
  if (options.topP !== undefined && options.topP < 1) {
    let mass = 0;
    for (let r = 0; r < topK; r++) {
      mass += probs[r] / total;
      if (mass >= options.topP) {
        keep = r + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let r = 0; r < keep; r++) kept += probs[r];
  let u = rng.next() * kept;
  let chosen = order[keep - 1];
  for (let r = 0; r < keep; r++) {
    u -= probs[r];
    if (u < 0) {
      chosen = order[r];
      break;
    }
  }
  return { id: chosen, logProb: logSoftmaxAt(logits, chosen, banned) };
}
