/**
 * The prepared-data folder written by `charm prepare` and read by the PyTorch trainer: the corpus
 * already encoded as flat little-endian ids, split into train and validation, with its vocabulary.
 */
import type { CorpusStats } from './checkpoint';

export const PREPARED_FORMAT = 'charm-prepared';
export const PREPARED_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const VOCAB_FILE = 'vocab.json';
export const TRAIN_FILE = 'train.bin';
export const VAL_FILE = 'val.bin';

/** Ids fit in 16 bits up to this vocabulary size. */
const UINT16_MAX_VOCABULARY = 65536;

export type PreparedDtype = 'uint16' | 'uint32';

export interface PreparedManifest {
  format: typeof PREPARED_FORMAT;
  version: typeof PREPARED_VERSION;
  dtype: PreparedDtype;
  vocabulary: typeof VOCAB_FILE;
  vocabularySize: number;
  train: { file: typeof TRAIN_FILE; tokens: number };
  val: { file: typeof VAL_FILE; tokens: number };
  valFraction: number;
  seed: number;
  corpus: CorpusStats;
  /** The corpus text's identity, as `charm train` records it in a checkpoint's training.corpusHash. */
  corpusHash: string;
  sha256: Record<typeof TRAIN_FILE | typeof VAL_FILE | typeof VOCAB_FILE, string>;
}

/** The folder being written next to DIR: `.DIR.prepare-tmp-<pid>-<hex>`; the pid tells a dead writer's leftovers. */
export const PREPARE_TEMP_NAME = /^\.(.*)\.prepare-tmp-(\d+)-[0-9a-f]+$/;

export function dtypeFor(vocabularySize: number): PreparedDtype {
  return vocabularySize > UINT16_MAX_VOCABULARY ? 'uint32' : 'uint16';
}
