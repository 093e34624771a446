/**
 * Charm's settings as one typed object, read through a `get(key)` function so that this module
 * stays free of VS Code (host/config.ts passes the workspace configuration). Every value is checked;
 * a wrong type or an out-of-range number falls back to the default (clamped when only out of range),
 * so a typo in settings.json degrades one setting instead of breaking completions.
 */
import type { BackendChoice } from '../accel';
import { DEFAULT_PRESET, isPresetName, PresetName } from '../model/config';
import { DEFAULT_SECRET_PATTERNS } from '../training/corpusRules';
import type { LanguageMap } from './completion/languages';

export interface InlineSettings {
  enabled: boolean;
  languages: LanguageMap;
  maxLength: number;
  multiline: boolean;
  debounceMs: number;
  minConfidence: number;
  temperature: number;
  contextChars: number;
  /** Files saved in the workspace teach the workspace memory at once. */
  learnFromSavedFiles: boolean;
}

export interface TrainingSettings {
  maxMinutes: number;
  exclude: string[];
  maxFileSizeKB: number;
  /** Saved files fine-tune the LSTM in the background (src/extension/training/adaptScheduler.ts). */
  adaptToSavedFiles: boolean;
}

export interface CharmSettings {
  temperature: number;
  inline: InlineSettings;
  generateLength: number;
  preset: PresetName;
  training: TrainingSettings;
  backend: BackendChoice;
}

export const DEFAULT_SETTINGS: CharmSettings = {
  temperature: 0.5,
  inline: {
    enabled: true,
    languages: { '*': true },
    maxLength: 40,
    multiline: false,
    debounceMs: 75,
    minConfidence: 0.5,
    temperature: 0,
    contextChars: 128,
    learnFromSavedFiles: true,
  },
  generateLength: 200,
  preset: DEFAULT_PRESET,
  training: { maxMinutes: 10, exclude: [...DEFAULT_SECRET_PATTERNS], maxFileSizeKB: 1000, adaptToSavedFiles: false },
  backend: 'auto',
};

/** Ranges of the numeric settings (the same as in package.json). */
export const RANGES = {
  temperature: [0, 2],
  'inlineCompletions.maxLength': [1, 1000],
  'inlineCompletions.debounceMs': [0, 5000],
  'inlineCompletions.minConfidence': [0, 1],
  'inlineCompletions.temperature': [0, 2],
  'inlineCompletions.contextChars': [8, 4096],
  'generate.length': [1, 100_000],
  'training.maxMinutes': [0.05, 10_080],
  'training.maxFileSizeKB': [1, 1_000_000],
} as const;

const BACKENDS: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** @param get reads one setting by its key without the "charm." prefix; undefined when unset */
export function readSettings(get: (key: string) => unknown): CharmSettings {
  const d = DEFAULT_SETTINGS;
  const num = (key: keyof typeof RANGES, fallback: number, integer = false): number => {
    const v = get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
    const [min, max] = RANGES[key];
    const clamped = Math.min(max, Math.max(min, v));
    return integer ? Math.round(clamped) : clamped;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = get(key);
    return typeof v === 'boolean' ? v : fallback;
  };
  const languages = get('inlineCompletions.languages');
  const exclude = get('training.exclude');
  const preset = get('model.preset');
  const backend = get('backend');
  return {
    temperature: num('temperature', d.temperature),
    inline: {
      enabled: bool('inlineCompletions.enabled', d.inline.enabled),
      languages: typeof languages === 'object' && languages !== null && !Array.isArray(languages) ? (languages as LanguageMap) : d.inline.languages,
      maxLength: num('inlineCompletions.maxLength', d.inline.maxLength, true),
      multiline: bool('inlineCompletions.multiline', d.inline.multiline),
      debounceMs: num('inlineCompletions.debounceMs', d.inline.debounceMs, true),
      minConfidence: num('inlineCompletions.minConfidence', d.inline.minConfidence),
      temperature: num('inlineCompletions.temperature', d.inline.temperature),
      contextChars: num('inlineCompletions.contextChars', d.inline.contextChars, true),
      learnFromSavedFiles: bool('inlineCompletions.learnFromSavedFiles', d.inline.learnFromSavedFiles),
    },
    generateLength: num('generate.length', d.generateLength, true),
    preset: typeof preset === 'string' && isPresetName(preset) ? preset : d.preset,
    training: {
      maxMinutes: num('training.maxMinutes', d.training.maxMinutes),
      exclude: Array.isArray(exclude) ? exclude.filter((p): p is string => typeof p === 'string' && p.trim() !== '') : d.training.exclude,
      maxFileSizeKB: num('training.maxFileSizeKB', d.training.maxFileSizeKB),
      adaptToSavedFiles: bool('training.adaptToSavedFiles', d.training.adaptToSavedFiles),
    },
    backend: typeof backend === 'string' && (BACKENDS as readonly string[]).includes(backend) ? (backend as BackendChoice) : d.backend,
  };
}
