/**
 * Charm's engine variants for the ablation, each a row of the report: named ones, or any engine
 * options as JSON. The keys are EngineOptions' (src/extension/inference/inferenceEngine.ts);
 * unknown keys and values are refused here rather than silently ignored by the engine.
 */
import { CharmError } from '../../src/errors';
import type { DecisionRule } from '../../src/extension/completion/decision';
import type { EngineOptions } from '../../src/extension/inference/inferenceEngine';

/** Engine options, plus the service-side levers (decision rule, threshold, calibration) and whether saved files are learned. */
export interface VariantOptions extends Partial<EngineOptions> {
  decision?: DecisionRule;
  minConfidence?: number;
  calibration?: number;
  /** The charm.inlineCompletions settings of the same names. */
  multiline?: boolean;
  maxLength?: number;
  learnSaved?: boolean;
  /** Saved files adapt the LSTM (default: charm.training.adaptToSavedFiles' default), with fineTuneSteps steps at fineTuneRate (default: adaptLimits.ts). */
  adapt?: boolean;
  fineTuneSteps?: number;
  fineTuneRate?: number;
}

export interface CharmVariant {
  name: string;
  engine: VariantOptions;
}

/** The engine as the extension runs it. */
export const DEFAULT_VARIANT: CharmVariant = { name: 'charm', engine: {} };

const NAMED_VARIANTS: Readonly<Record<string, VariantOptions>> = {
  lstm: { mixture: 'lstm' },
  ngram: { mixture: 'ngram' },
  mix: { mixture: 'mix' },
  greedy: { beam: 1 },
  'no-cache': { documentCache: false },
  multiline: { multiline: true },
  'no-match': { matchWeights: null },
  'no-saved': { learnSaved: false },
  adapt: { adapt: true },
  'no-adapt': { adapt: false },
  'no-learning': { learnSaved: false, adapt: false },
  longest: { decision: 'longest' },
  expected: { decision: 'expected' },
  'expected-token': { decision: 'expected-token' },
  'longest-token': { decision: 'longest-token' },
  'lstm-greedy': { mixture: 'lstm', beam: 1 },
  'ngram-greedy': { mixture: 'ngram', beam: 1 },
  'mix-greedy': { mixture: 'mix', beam: 1 },
  'lstm-greedy-longest': { mixture: 'lstm', beam: 1, decision: 'longest' },
  'mix-longest': { mixture: 'mix', decision: 'longest' },
};

const CHOICES: Record<string, readonly string[]> = {
  mixture: ['lstm', 'ngram', 'mix'],
  decision: ['expected', 'expected-token', 'longest', 'longest-token'],
};
const INTEGERS = ['beam', 'order', 'maxAdvance', 'maxDocuments', 'maxPerDocument', 'fineTuneSteps', 'maxLength'];
const BOOLEANS = ['documentCache', 'learnSaved', 'adapt', 'multiline'];
const PROBABILITIES = ['minConfidence', 'calibration', 'fineTuneRate'];

/** Undefined or '': no extra rows. */
export function parseVariants(spec: string | undefined): CharmVariant[] {
  if (spec === undefined || spec.trim() === '') return [];
  const items = spec.includes('=') ? spec.split(';') : spec.split(',');
  const out: CharmVariant[] = [];
  for (const raw of items.map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    const engine = eq < 0 ? named(name) : engineFromJson(name, raw.slice(eq + 1));
    if (out.some((v) => v.name === `charm:${name}`)) throw new CharmError(`--variants: "${name}" is given twice`);
    out.push({ name: `charm:${name}`, engine });
  }
  return out;
}

function named(name: string): VariantOptions {
  const engine = NAMED_VARIANTS[name];
  if (!engine) throw new CharmError(`--variants: unknown variant "${name}", expected one of ${Object.keys(NAMED_VARIANTS).join(', ')} or name=<JSON>`);
  return engine;
}

function engineFromJson(name: string, json: string): VariantOptions {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CharmError(`--variants: "${name}" is not followed by valid JSON: ${json}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CharmError(`--variants: "${name}" needs a JSON object of engine options`);
  const engine: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key in CHOICES) {
      if (typeof v !== 'string' || !CHOICES[key].includes(v)) throw new CharmError(`--variants: ${name}.${key} must be one of ${CHOICES[key].join(', ')}`);
    } else if (INTEGERS.includes(key)) {
      if (!Number.isInteger(v) || (v as number) < 1) throw new CharmError(`--variants: ${name}.${key} must be an integer >= 1`);
    } else if (BOOLEANS.includes(key)) {
      if (typeof v !== 'boolean') throw new CharmError(`--variants: ${name}.${key} must be true or false`);
    } else if (key === 'weights') {
      // The mixture's weights per bucket, as bench/fitMixture.ts prints them ({"byMatch": [[lstm, corpus, document], ...]}).
      const rows = typeof v === 'object' && v !== null && 'byMatch' in v ? (v as { byMatch: unknown }).byMatch : undefined;
      const ok =
        Array.isArray(rows) && rows.length === 9 && rows.every((r) => Array.isArray(r) && r.length === 3 && r.every((x) => typeof x === 'number' && x >= 0));
      if (!ok) throw new CharmError(`--variants: ${name}.weights must be {"byMatch": [9 rows of 3 non-negative numbers]}`);
    } else if (key === 'matchWeights') {
      // The match model's weights by match length ({"document": [6 numbers], "corpus": [6 numbers]}), or null to leave it out.
      const ok =
        v === null ||
        (typeof v === 'object' &&
          ['document', 'corpus'].every((k) => {
            const row = (v as Record<string, unknown>)[k];
            return Array.isArray(row) && row.length === 6 && row.every((x) => typeof x === 'number' && x >= 0 && x < 1);
          }));
      if (!ok) throw new CharmError(`--variants: ${name}.matchWeights must be null or {"document": [6 numbers in [0, 1)], "corpus": [the same]}`);
    } else if (PROBABILITIES.includes(key)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new CharmError(`--variants: ${name}.${key} must be a number from 0 to 1`);
    } else {
      throw new CharmError(
        `--variants: ${name}: unknown engine option "${key}" (known: ${[...Object.keys(CHOICES), ...INTEGERS, ...BOOLEANS, ...PROBABILITIES, 'weights', 'matchWeights'].join(', ')})`,
      );
    }
    engine[key] = v;
  }
  return engine;
}
