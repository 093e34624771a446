/**
 * The training request the host sends the trainer process, from the settings and what the user
 * chose. Pure, so the corpus rules are unit-tested.
 *
 * Exclusions: `charm.training.exclude` (gitignore syntax; by default the engine's secret-file
 * patterns) plus `files.exclude`. The setting's slash-less patterns go to the engine as its secret
 * patterns (reported as "secret" when skipped): they match base names case-insensitively and apply
 * even to files picked one by one ("Train on Corpus…"), so `.ENV` or a hand-picked key file is
 * never read either. In a multi-root workspace the files.exclude patterns of all folders apply to
 * every folder.
 */
import type { TrainingRequest } from '../protocol';
import type { CharmSettings } from '../settings';
import { filesExcludeToGitignore } from './filesExclude';

export type TrainMode = 'new' | 'continue' | 'replace';

export interface TrainingRequestInput {
  paths: string[];
  out: string;
  mode: TrainMode;
  settings: CharmSettings;
  /** The merged `files.exclude` objects of the folders. */
  filesExclude?: unknown;
}

/** A base-name pattern: no slash except a trailing one (a folder). */
export function isBaseNamePattern(pattern: string): boolean {
  return !pattern.replace(/\/$/, '').includes('/');
}

export function corpusRules(settings: CharmSettings, filesExclude?: unknown): TrainingRequest['corpus'] {
  const own = settings.training.exclude;
  const secret = own.filter((p) => isBaseNamePattern(p) && !p.endsWith('/'));
  const paths = own.filter((p) => !secret.includes(p));
  return {
    exclude: [...new Set([...paths, ...filesExcludeToGitignore(filesExclude)])],
    secretPatterns: secret,
    maxFileBytes: Math.round(settings.training.maxFileSizeKB * 1024),
  };
}

/**
 * Evaluations write best/, which the completion process reloads: short runs evaluate more often
 * so they produce a usable model early (an evaluation costs ~10 training steps).
 */
export function evalEveryFor(maxMinutes: number): number {
  if (maxMinutes <= 2) return 50;
  if (maxMinutes <= 10) return 100;
  return 200;
}

export function trainingRequestFromSettings(input: TrainingRequestInput): TrainingRequest {
  const { settings } = input;
  return {
    paths: input.paths,
    out: input.out,
    resume: input.mode === 'continue',
    overwrite: input.mode === 'replace',
    // "Continue training" is the user's choice to fine-tune on the current files, whatever they hold.
    fineTune: input.mode === 'continue',
    // A continued model keeps its shape: the engine refuses a preset that differs from it.
    preset: input.mode === 'continue' ? undefined : settings.preset,
    maxSeconds: settings.training.maxMinutes * 60,
    evalEvery: evalEveryFor(settings.training.maxMinutes),
    backend: settings.backend,
    corpus: corpusRules(settings, input.filesExclude),
  };
}
