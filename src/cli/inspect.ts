/** The CLI commands that read a trained model: sample, eval, info. */
import { FlagSpec, FlagValues, flagNumber, flagString, flagStrings } from './args';
import { plural } from '../util/format';
import { Output } from './output';
import { CharmError } from '../errors';
import { BackendChoice, initBackend } from '../accel';
import { parameterCount } from '../model/config';
import { cellLabel } from '../model/cells';
import { TextGenerator } from '../model/sampler';
import { buildCorpus, describeCorpus } from '../training/corpus';
import { loadCheckpoint, verifyCheckpoint } from '../training/checkpoint';
import { MAX_UNKNOWN_SHARE, percent } from '../training/session';
import { sequentialBatches } from '../training/dataset';
import { evaluateBatches, evaluationBatchSize } from '../training/trainingLoop';

export const BACKEND_FLAG: FlagSpec = { kind: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'] };

export const SAMPLE_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string' },
  prime: { kind: 'string' },
  length: { kind: 'int' },
  temperature: { kind: 'number' },
  'top-k': { kind: 'int' },
  'top-p': { kind: 'number' },
  seed: { kind: 'int' },
  stop: { kind: 'strings' },
  backend: BACKEND_FLAG,
  json: { kind: 'boolean' },
};
export const EVAL_FLAGS: Record<string, FlagSpec> = { model: { kind: 'string' }, backend: BACKEND_FLAG, json: { kind: 'boolean' } };
export const INFO_FLAGS: Record<string, FlagSpec> = { model: { kind: 'string' }, json: { kind: 'boolean' } };

export function requireModel(flags: FlagValues): string {
  const model = flagString(flags, 'model');
  if (!model) throw new CharmError('Missing --model DIR (a checkpoint folder written by "charm train")');
  return model;
}

export async function sampleCommand(flags: FlagValues, out: Output): Promise<void> {
  const length = flagNumber(flags, 'length') ?? 200;
  const temperature = flagNumber(flags, 'temperature') ?? 0.5;
  const topK = flagNumber(flags, 'top-k');
  const topP = flagNumber(flags, 'top-p');
  if (length < 0 || length > 1_000_000) throw new CharmError(`--length must be from 0 to 1000000, got ${length}`);
  if (!(temperature >= 0) || temperature > 100) throw new CharmError(`--temperature must be from 0 to 100, got ${temperature}`);
  if (topK !== undefined && topK < 0) throw new CharmError(`--top-k must be 0 or more, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw new CharmError(`--top-p must be in (0, 1], got ${topP}`);
  const backend = await initBackend((flagString(flags, 'backend') ?? 'auto') as BackendChoice);
  const checkpoint = await loadCheckpoint(requireModel(flags));
  const generator = new TextGenerator(checkpoint.model, checkpoint.vocab);
  try {
    const prime = flagString(flags, 'prime') ?? '';
    const primeStart = performance.now();
    if (prime) generator.feed(prime);
    const primeMs = performance.now() - primeStart;
    const result = generator.generate({ maxLength: length, temperature, topK, topP, seed: flagNumber(flags, 'seed'), stop: flagStrings(flags, 'stop') });
    out.event(
      {
        text: result.text,
        prime,
        backend: backend.name,
        msPerChar: Math.round(result.msPerChar * 1000) / 1000,
        primeMs: Math.round(primeMs * 10) / 10,
        meanLogProb: Math.round(result.meanLogProb * 1e4) / 1e4,
        chars: result.chars,
        stoppedBy: result.stoppedBy,
      },
      () => prime + result.text,
    );
  } finally {
    generator.dispose();
    checkpoint.model.dispose();
  }
}

export async function evalCommand(paths: string[], flags: FlagValues, out: Output): Promise<void> {
  if (paths.length === 0) throw new CharmError('No input: name at least one file or folder to evaluate on');
  await initBackend((flagString(flags, 'backend') ?? 'auto') as BackendChoice);
  const checkpoint = await loadCheckpoint(requireModel(flags));
  try {
    const corpus = await buildCorpus(paths);
    if (corpus.text.length < 2) throw new CharmError(`Nothing to evaluate: ${describeCorpus(corpus)}`);
    const ids = checkpoint.vocab.encode(corpus.text);
    const seqLength = Number(checkpoint.meta.training.seqLength) || 100;
    const batch = evaluationBatchSize(Number(checkpoint.meta.training.batchSize) || 64, seqLength, checkpoint.model.config.units);
    const result = evaluateBatches(checkpoint.model, sequentialBatches(ids, seqLength, batch));
    const unknownChars = checkpoint.vocab.countUnknown(corpus.text);
    const unknownShare = unknownChars / Math.max(1, ids.length);
    // As a resume would refuse it: the loss on text the model cannot spell says little.
    const warning =
      unknownShare > MAX_UNKNOWN_SHARE
        ? `${percent(unknownShare)} of the text's characters are not in the model's vocabulary (more than ${percent(MAX_UNKNOWN_SHARE)}); ${checkpoint.vocab.unknownId === null ? 'they are skipped' : 'they count as the unknown symbol'}, so this loss says little about the model`
        : undefined;
    if (warning && !out.json) out.warning(warning);
    out.event(
      {
        lossNats: round(result.lossNats),
        bitsPerChar: round(result.bitsPerChar),
        accuracy: round(result.accuracy),
        chars: result.chars,
        unknownChars,
        unknownShare: round(unknownShare),
        ...(warning ? { warning } : {}),
      },
      () =>
        `${result.lossNats.toFixed(4)} nats/char (${result.bitsPerChar.toFixed(4)} bits/char), accuracy ${(result.accuracy * 100).toFixed(2)}% over ${result.chars.toLocaleString('en-US')} characters`,
    );
  } finally {
    checkpoint.model.dispose();
  }
}

export function infoCommand(flags: FlagValues, out: Output): void {
  // Checked as loading it would be: a damaged checkpoint is reported, not described as fine.
  const { dir, meta } = verifyCheckpoint(requireModel(flags));
  const m = meta.model;
  const p = meta.progress;
  const skipped = meta.corpus.skipped ?? {};
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
  const skippedText =
    skippedTotal === 0
      ? 'nothing skipped'
      : `skipped ${skippedTotal} (${Object.entries(skipped)
          .map(([reason, n]) => `${n} ${reason}`)
          .join(', ')})`;
  const files = meta.corpus.filesRead ?? [];
  const redacted = meta.corpus.redacted ?? [];
  const secrets = redacted.reduce((n, r) => n + r.count, 0);
  const FILES_SHOWN = 10;
  const source = meta.source;
  out.event(
    { path: dir, parameters: parameterCount(m), ...meta, history: { trainPoints: meta.history.train.length, valPoints: meta.history.val.length } },
    () =>
      [
        `Model:      ${dir}`,
        `Shape:      ${cellLabel(m)} ${m.layers}x${m.units}, embedding ${m.embedding}, vocabulary ${m.vocabSize}, ${parameterCount(m).toLocaleString('en-US')} parameters`,
        ...(source
          ? [
              `Imported:   ${source.format} ${source.file}${source.kerasVersion ? ` (Keras ${source.kerasVersion})` : ''} on ${source.importedAt}; vocabulary ${source.vocabulary === 'from-text' ? 'rebuilt from text' : 'from a file'}` +
                `${source.outputActivation === 'softmax' ? '; its softmax output is kept as logits' : ''}${source.windowLength ? `; trained on windows of ${source.windowLength} characters (many-to-one), run step by step` : ''}`,
            ]
          : []),
        `Trained:    step ${p.step}, epoch ${p.epoch}, ${plural(p.charsSeen, 'character')} seen in ${Math.round(p.elapsedSeconds)} s on ${meta.backend}`,
        `Best:       ${p.bestValLoss === null ? 'no validation loss yet' : `validation loss ${p.bestValLoss.toFixed(4)} nats/char at step ${p.bestStep ?? '-'}`}`,
        `Corpus:     ${plural(meta.corpus.files, 'file')}, ${plural(meta.corpus.chars, 'character')} (${meta.corpus.sources.join(', ')}); ${meta.corpus.skipped ? skippedText : 'skipped files not recorded'}`,
        ...(files.length
          ? [
              `Files read: ${files.slice(0, FILES_SHOWN).join(', ')}${files.length > FILES_SHOWN ? `, and ${files.length - FILES_SHOWN} more (--json lists all)` : ''}`,
            ]
          : []),
        ...(meta.corpus.redacted
          ? [
              `Secrets:    ${
                secrets === 0
                  ? 'none found'
                  : `${plural(secrets, 'secret')} replaced by a placeholder in ${plural(redacted.length, 'file')} (${redacted
                      .slice(0, FILES_SHOWN)
                      .map((r) => r.path)
                      .join(', ')}${redacted.length > FILES_SHOWN ? ', …' : ''})`
              }`,
            ]
          : []),
        `Saved:      ${meta.savedAt}`,
      ].join('\n'),
  );
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
