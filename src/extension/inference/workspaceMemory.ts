/**
 * The workspace memory: a character n-gram over the same files training reads (the same corpus
 * rules: .gitignore, binary, size, secrets), built in seconds, so that completions start long
 * before the LSTM's first checkpoint and keep knowing every identifier of the workspace. Files
 * saved afterwards are learned too (savedFiles.ts), under the same content rules.
 */
import * as path from 'node:path';
import { CharNgram, DEFAULT_NGRAM_OPTIONS } from '../../model/ngram';
import { MatchIndex } from '../../model/matchModel';
import { buildCorpus, CorpusOptions, DEFAULT_MAX_FILE_BYTES, DEFAULT_SECRET_PATTERNS, decodeText } from '../../training/corpus';
import { baseNameMatcher, pathMatcher } from '../../training/corpusRules';
import { redactSecrets } from '../../training/secrets';
import type { EngineModels } from './inferenceEngine';
import { SavedFiles } from './savedFiles';

/** The memory reads at most this much of the workspace (its n-gram stays within its node budget). */
const MAX_CHARS = 8_000_000;

export interface WorkspaceMemory {
  ngram: CharNgram;
  /** The match model over the same text (saved files have their own: saved.match). */
  match: MatchIndex;
  /** Files saved since the memory was built, learned into `ngram` (continuous learning). */
  saved: SavedFiles;
  /** The folders and files it was built from, and the rules it read them with (saved files get the same). */
  paths: readonly string[];
  rules: CorpusOptions;
  files: number;
  chars: number;
  ms: number;
}

export async function buildWorkspaceMemory(paths: readonly string[], rules: CorpusOptions = {}, order = DEFAULT_NGRAM_OPTIONS.order): Promise<WorkspaceMemory> {
  const started = performance.now();
  const corpus = await buildCorpus(paths, { maxTotalChars: MAX_CHARS, ...rules });
  const ngram = new CharNgram({ order });
  ngram.add(corpus.text);
  const match = new MatchIndex();
  match.append(corpus.text);
  return {
    ngram,
    match,
    saved: new SavedFiles(ngram),
    paths,
    rules,
    files: corpus.files.length,
    chars: corpus.text.length,
    ms: performance.now() - started,
  };
}

/** What the completion engine takes of a workspace memory (nothing when there is none). */
export function memoryModels(memory: WorkspaceMemory | undefined): Pick<EngineModels, 'corpus' | 'memoryMatches'> {
  return memory ? { corpus: memory.ngram, memoryMatches: [memory.match, memory.saved.match] } : {};
}

/** What became of a saved file: learned, or why not (then any earlier version of it is unlearned). */
export type SavedOutcome = 'learned' | 'outside' | 'excluded' | 'secret' | 'too-large' | 'binary';

/**
 * Learns the saved content of `file` (its bytes as on disk) under the memory's corpus rules: only
 * files inside the memory's folders, not excluded, not named like secrets, within the size limit and
 * not binary; secrets in the text become the placeholder, as in training. A .gitignore'd file is
 * learned when saved: it is the user's own text, open in the editor.
 */
export async function learnSavedFile(memory: WorkspaceMemory, file: string, bytes: Uint8Array): Promise<SavedOutcome> {
  const outcome = await savedFileText(memory, path.resolve(file), bytes);
  if (typeof outcome === 'string') {
    memory.saved.unlearn(path.resolve(file));
    return outcome;
  }
  memory.saved.learn(path.resolve(file), outcome.text);
  return 'learned';
}

/**
 * The rule check of a saved file (see learnSavedFile), for whoever learns saved files: the memory,
 * and the LSTM's adaptation (src/extension/training/adaptJob.ts). Its text has secrets redacted.
 */
export async function savedFileText(
  memory: Pick<WorkspaceMemory, 'paths' | 'rules'>,
  file: string,
  bytes: Uint8Array,
): Promise<{ text: string } | Exclude<SavedOutcome, 'learned'>> {
  const root = memory.paths.map((p) => path.resolve(p)).find((p) => file === p || file.startsWith(p.endsWith(path.sep) ? p : p + path.sep));
  if (root === undefined) return 'outside';
  const rel = path.relative(root, file).split(path.sep).join('/');
  const { exclude, secretPatterns, includeSecrets } = memory.rules;
  if (rel !== '' && pathMatcher(exclude ?? [], 'The excluded paths')(rel, false)) return 'excluded';
  if (!includeSecrets && baseNameMatcher(secretPatterns ?? DEFAULT_SECRET_PATTERNS, 'The secret file patterns')(path.basename(file))) return 'secret';
  if (bytes.byteLength > (memory.rules.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES)) return 'too-large';
  const text = decodeText(bytes);
  if (text === undefined) return 'binary';
  return { text: includeSecrets ? text : (await redactSecrets(text, file)).text };
}
