/**
 * What a training session reads: the text of files and folders (the corpus rules), or a folder
 * `charm prepare` wrote. Either gives the same things: the vocabulary of a new model, the ids in a
 * given vocabulary, the statistics and the identity of the text.
 */
import * as path from 'node:path';
import { CharmError } from '../errors';
import { CorpusStats } from './checkpoint';
import { CorpusOptions, buildCorpus, corpusHasher, describeCorpus, emptyCorpusError, skippedByReason } from './corpus';
import { loadPrepared } from './preparedReader';
import { Vocabulary } from './vocabulary';

export interface TrainingInput {
  /** The text's identity (training.corpusHash): the same for a folder and its prepared data. */
  hash: string;
  /** One line for the user: what was read. */
  summary: string;
  /** The statistics that do not depend on the vocabulary or the split. */
  stats: Pick<CorpusStats, 'sources' | 'files' | 'skipped' | 'filesRead' | 'redacted'>;
  /** Prepared data was split when it was made: the validation fraction it has. */
  valFraction?: number;
  /** The vocabulary of a new model. */
  newVocabulary(maxSize?: number): Vocabulary;
  /** The ids in `vocab`, and how many are its unknown id. */
  encode(vocab: Vocabulary): { ids: Int32Array; unknown: number };
}

export async function textInput(paths: readonly string[], options: CorpusOptions): Promise<TrainingInput> {
  if (paths.length === 0) throw new CharmError('No input: name at least one file or folder to train on');
  const corpus = await buildCorpus(paths, options);
  if (corpus.text.length === 0) throw emptyCorpusError(paths, corpus);
  const hasher = corpusHasher();
  hasher.update(corpus.text);
  return {
    hash: hasher.digest(),
    summary: describeCorpus(corpus),
    stats: {
      sources: paths.map((p) => path.resolve(p)),
      files: corpus.files.length,
      skipped: skippedByReason(corpus.skipped),
      filesRead: corpus.files.map((f) => f.path),
      redacted: corpus.redacted,
    },
    newVocabulary: (maxSize) => Vocabulary.build(corpus.text, maxSize),
    encode: (vocab) => ({ ids: vocab.encode(corpus.text), unknown: vocab.countUnknown(corpus.text) }),
  };
}

export function preparedInput(dir: string): TrainingInput {
  const data = loadPrepared(dir);
  const { manifest, vocab: own, ids } = data;
  const c = manifest.corpus;
  return {
    hash: manifest.corpusHash,
    summary: `${ids.length.toLocaleString('en-US')} ids of ${c.files.toLocaleString('en-US')} files, prepared in ${data.dir}`,
    stats: { sources: c.sources, files: c.files, skipped: c.skipped, filesRead: c.filesRead, redacted: c.redacted },
    valFraction: manifest.valFraction,
    newVocabulary: () => own,
    encode: (vocab) => {
      // Another vocabulary (a model resumed on this data): each symbol gets that vocabulary's id.
      const same = JSON.stringify(vocab.toJSON()) === JSON.stringify(own.toJSON());
      // -1: a symbol the vocabulary lacks and has no unknown symbol for (an imported model's): skipped, counted.
      const table = Int32Array.from({ length: own.size }, (_, id) => (same ? id : (vocab.idOf(own.symbolOf(id)) ?? -1)));
      const mapped = same ? ids : ids.map((id) => table[id]);
      let unknown = 0;
      for (let i = 0; i < mapped.length; i++) if (mapped[i] === vocab.unknownId || mapped[i] < 0) unknown++;
      return { ids: mapped.includes(-1) ? mapped.filter((id) => id >= 0) : mapped, unknown };
    },
  };
}
