/** `charm prepare`: the corpus as ids, split and with its vocabulary, for the PyTorch trainer. */
import { FlagSpec, FlagValues, flagBool, flagNumber, flagString } from './args';
import { Output } from './output';
import { CharmError } from '../errors';
import { prepareCorpus } from '../training/prepare';

export const PREPARE_FLAGS: Record<string, FlagSpec> = {
  out: { kind: 'string' },
  'val-fraction': { kind: 'number' },
  seed: { kind: 'int' },
  'max-file-kb': { kind: 'number' },
  'include-secrets': { kind: 'boolean' },
  'vocab-size': { kind: 'int' },
  overwrite: { kind: 'boolean' },
  json: { kind: 'boolean' },
};

export async function prepareCommand(paths: string[], flags: FlagValues, out: Output, signal: AbortSignal): Promise<void> {
  const dir = flagString(flags, 'out');
  if (dir === undefined) throw new CharmError('prepare: name the folder to write with --out DIR');
  const maxFileKb = flagNumber(flags, 'max-file-kb');
  if (maxFileKb !== undefined && !(maxFileKb > 0)) throw new CharmError(`--max-file-kb must be more than 0, got ${maxFileKb}`);
  const started = performance.now();
  const result = await prepareCorpus({
    paths,
    out: dir,
    valFraction: flagNumber(flags, 'val-fraction'),
    seed: flagNumber(flags, 'seed'),
    maxVocabulary: flagNumber(flags, 'vocab-size'),
    overwrite: flagBool(flags, 'overwrite'),
    // The same conversion as `charm train`'s, so the same flags pick the same files.
    corpus: { maxFileBytes: maxFileKb !== undefined ? Math.round(maxFileKb * 1024) : undefined, includeSecrets: flagBool(flags, 'include-secrets') },
    signal,
  });
  const m = result.manifest;
  out.event({ event: 'prepared', out: result.out, seconds: Math.round(performance.now() - started) / 1000, manifest: m }, () =>
    [
      `Corpus: ${result.summary}`,
      `Vocabulary ${m.vocabularySize} (${m.dtype}); ${m.train.tokens.toLocaleString('en-US')} training and ${m.val.tokens.toLocaleString('en-US')} validation ids` +
        (m.corpus.unknownChars > 0 ? `; ${m.corpus.unknownChars.toLocaleString('en-US')} characters outside the vocabulary` : ''),
      `Prepared data in ${result.out}`,
    ].join('\n'),
  );
}
