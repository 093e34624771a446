/** Reading a prepared-data folder back (`charm train --data DIR`), checked like a checkpoint: any damage is a clear error. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharmError } from '../errors';
import { MANIFEST_FILE, PREPARED_FORMAT, PREPARED_VERSION, PreparedManifest, TRAIN_FILE, VAL_FILE, VOCAB_FILE, dtypeFor } from './preparedFormat';
import { Vocabulary } from './vocabulary';
import { validationLength } from './dataset';

export interface PreparedData {
  dir: string;
  manifest: PreparedManifest;
  vocab: Vocabulary;
  /** The training ids followed by the validation ids: the corpus in order, as CharDataset takes it. */
  ids: Int32Array;
}

export function loadPrepared(dirGiven: string): PreparedData {
  const dir = path.resolve(dirGiven);
  const bad = (why: string): never => {
    throw new CharmError(`${dir} is not usable prepared data: ${why}`);
  };
  let manifest: PreparedManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as PreparedManifest;
  } catch {
    throw new CharmError(`${dir} holds no prepared data (no readable ${MANIFEST_FILE}): make it with charm prepare`);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== PREPARED_FORMAT) bad(`${MANIFEST_FILE} is not of format ${PREPARED_FORMAT}`);
  if (manifest.version !== PREPARED_VERSION) bad(`unsupported version ${JSON.stringify(manifest.version)}`);
  const read = (name: string): Buffer => {
    const expected = manifest.sha256?.[name as keyof PreparedManifest['sha256']];
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(dir, name));
    } catch (error) {
      return bad(`cannot read ${name} (${(error as Error).message})`);
    }
    if (crypto.createHash('sha256').update(bytes).digest('hex') !== expected) bad(`${name} does not match its checksum (damaged or changed)`);
    return bytes;
  };
  const vocab = Vocabulary.fromJSON(JSON.parse(read(VOCAB_FILE).toString('utf8')));
  if (manifest.vocabularySize !== vocab.size || manifest.dtype !== dtypeFor(vocab.size))
    bad(`the manifest's vocabulary size or dtype does not fit ${VOCAB_FILE}`);
  const trainTokens = manifest.train?.tokens;
  const valTokens = manifest.val?.tokens;
  if (!Number.isInteger(trainTokens) || !Number.isInteger(valTokens) || trainTokens < 0 || valTokens < 0) bad('the token counts are not whole numbers');
  const ids = new Int32Array(trainTokens + valTokens);
  const width = manifest.dtype === 'uint16' ? 2 : 4;
  let at = 0;
  for (const [name, tokens] of [
    [TRAIN_FILE, trainTokens],
    [VAL_FILE, valTokens],
  ] as const) {
    const bytes = read(name);
    if (bytes.length !== tokens * width) bad(`${name} holds ${bytes.length} bytes, not ${tokens} ids of ${width} bytes`);
    // A copy: aligned for the typed array view, and swapped on a big-endian machine.
    const copy = Buffer.from(new Uint8Array(bytes).buffer);
    if (os.endianness() === 'BE') {
      if (width === 2) copy.swap16();
      else copy.swap32();
    }
    const view = width === 2 ? new Uint16Array(copy.buffer, copy.byteOffset, tokens) : new Uint32Array(copy.buffer, copy.byteOffset, tokens);
    for (let i = 0; i < tokens; i++) {
      if (view[i] >= vocab.size) bad(`${name} holds id ${view[i]}, outside the vocabulary of ${vocab.size}`);
      ids[at++] = view[i];
    }
  }
  if (typeof manifest.corpus !== 'object' || manifest.corpus === null) bad('the manifest has no corpus statistics');
  const f = manifest.valFraction;
  // The split charm train makes of these ids must be the one written.
  if (!(f >= 0 && f < 1) || validationLength(ids.length, f) !== valTokens) bad(`its validation part does not match its validation fraction ${String(f)}`);
  return { dir, manifest, vocab, ids };
}
