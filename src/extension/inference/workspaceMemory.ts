/**
 * The workspace memory: a character n-gram over the same files training reads (the same corpus
 * rules: .gitignore, binary, size, secrets), built in seconds, so that completions start long
 * before the LSTM's first checkpoint and keep knowing every identifier of the workspace.
 */
import { CharNgram, DEFAULT_NGRAM_OPTIONS } from '../../model/ngram';
import { buildCorpus, CorpusOptions } from '../../training/corpus';

/** The memory reads at most this much of the workspace (its n-gram stays within its node budget). */
const MAX_CHARS = 8_000_000;

export interface WorkspaceMemory {
  ngram: CharNgram;
  files: number;
  chars: number;
  ms: number;
}

export async function buildWorkspaceMemory(paths: readonly string[], rules: CorpusOptions = {}, order = DEFAULT_NGRAM_OPTIONS.order): Promise<WorkspaceMemory> {
  const started = performance.now();
  const corpus = await buildCorpus(paths, { maxTotalChars: MAX_CHARS, ...rules });
  const ngram = new CharNgram({ order });
  ngram.add(corpus.text);
  return { ngram, files: corpus.files.length, chars: corpus.text.length, ms: performance.now() - started };
}
