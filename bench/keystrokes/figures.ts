/** The benchmark's figures from a user's tally (simulation.ts): what the report prints. */
import type { ShownRecord, Tally } from './simulation';

export interface Figures {
  chars: number;
  keystrokes: number;
  /** 1 - keystrokes / characters. */
  savings: number;
  shown: number;
  accepted: number;
  /** accepted / shown. */
  acceptance: number;
  shownPer100: number;
  /** Characters accepted per accepted suggestion. */
  meanAcceptedLength: number;
  wrongPer100: number;
  p50Ms: number;
  p95Ms: number;
}

export function figuresOf(t: Tally): Figures {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  return {
    chars: t.chars,
    keystrokes: t.keystrokes,
    savings: t.chars > 0 ? 1 - t.keystrokes / t.chars : NaN,
    shown: t.shown,
    accepted: t.accepted,
    acceptance: t.shown > 0 ? t.accepted / t.shown : NaN,
    shownPer100: t.chars > 0 ? (100 * t.shown) / t.chars : NaN,
    meanAcceptedLength: t.accepted > 0 ? t.acceptedChars / t.accepted : NaN,
    wrongPer100: t.chars > 0 ? (100 * t.wrongChars) / t.chars : NaN,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface CalibrationBin {
  /** [from, to); the last bin includes 1. */
  from: number;
  to: number;
  shown: number;
  accepted: number;
  /** accepted / shown. */
  rate: number;
}

/** Shown suggestions by their stated probability, and how often each bin was accepted. */
export function calibration(records: readonly ShownRecord[], bins = 5): { bins: CalibrationBin[]; withoutProbability: number } {
  const out: CalibrationBin[] = Array.from({ length: bins }, (_, k) => ({ from: k / bins, to: (k + 1) / bins, shown: 0, accepted: 0, rate: NaN }));
  let withoutProbability = 0;
  for (const r of records) {
    if (r.probability === undefined || !Number.isFinite(r.probability)) {
      withoutProbability++;
      continue;
    }
    const bin = out[Math.min(bins - 1, Math.max(0, Math.floor(r.probability * bins)))];
    bin.shown++;
    if (r.accepted) bin.accepted++;
  }
  for (const b of out) b.rate = b.shown > 0 ? b.accepted / b.shown : NaN;
  return { bins: out, withoutProbability };
}
