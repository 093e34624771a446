/** The CLI commands that move models in and out of Charm: import (Keras, tfjs-layers) and export. */
import { FlagSpec, FlagValues, flagString } from './args';
import { Output } from './output';
import { CharmError } from '../errors';
import { initBackend } from '../accel';
import { parameterCount } from '../model/config';
import { importModel } from '../interop/importModel';
import { ExportFormat, exportModel } from '../interop/exportModel';
import { requireModel } from './inspect';

export const IMPORT_FLAGS: Record<string, FlagSpec> = {
  out: { kind: 'string' },
  vocab: { kind: 'string' },
  'vocab-from-text': { kind: 'string' },
  json: { kind: 'boolean' },
};
export const EXPORT_FLAGS: Record<string, FlagSpec> = {
  model: { kind: 'string' },
  format: { kind: 'string', choices: ['tfjs-layers', 'keras-h5'] },
  out: { kind: 'string' },
  json: { kind: 'boolean' },
};

export async function importCommand(positional: string[], flags: FlagValues, out: Output): Promise<void> {
  if (positional.length !== 1) throw new CharmError('import: name one model file (.h5, .keras, or a tfjs-layers model.json or its folder)');
  const target = flagString(flags, 'out');
  if (!target) throw new CharmError('import: missing --out DIR (the checkpoint folder to create)');
  const vocabFile = flagString(flags, 'vocab');
  const textFile = flagString(flags, 'vocab-from-text');
  if (!vocabFile === !textFile) {
    throw new CharmError('import: give the vocabulary with --vocab FILE (a JSON list or map) or --vocab-from-text FILE (the training text), one of them');
  }
  await initBackend('cpu');
  const result = await importModel({
    file: positional[0],
    out: target,
    vocabulary: vocabFile ? { kind: 'file', path: vocabFile } : { kind: 'from-text', path: textFile as string },
  });
  const m = result.meta.model;
  const source = result.meta.source;
  out.event({ event: 'imported', path: result.root, model: m, parameters: parameterCount(m), source }, () =>
    [
      `Imported ${source?.format} model ${source?.file} into ${result.root}`,
      `  ${m.cell.toUpperCase()} ${m.layers}x${m.units}, embedding ${m.embedding}, vocabulary ${m.vocabSize}, ${parameterCount(m).toLocaleString('en-US')} parameters`,
      result.vocab.unknownId === null
        ? '  The vocabulary has no unknown symbol: characters outside it are skipped (eval counts them).'
        : `  Symbol ${result.vocab.unknownId} is the unknown symbol ([UNK]): characters outside the vocabulary map to it.`,
      `  No optimizer state: "charm train --resume" on its text starts Adam fresh; "--fine-tune" trains it on new text.`,
    ].join('\n'),
  );
}

export async function exportCommand(positional: string[], flags: FlagValues, out: Output): Promise<void> {
  if (positional.length) throw new CharmError(`export: unexpected argument "${positional[0]}" (use --model DIR)`);
  const format = flagString(flags, 'format') as ExportFormat | undefined;
  if (!format) throw new CharmError('export: missing --format tfjs-layers|keras-h5');
  const target = flagString(flags, 'out');
  if (!target) throw new CharmError('export: missing --out PATH (a folder for tfjs-layers, a .h5 file for keras-h5)');
  await initBackend('cpu');
  const result = await exportModel({ model: requireModel(flags), format, out: target });
  out.event({ event: 'exported', format, files: result.files }, () => `Exported ${format}: ${result.files.join(', ')}`);
}
