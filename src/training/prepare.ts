/**
 * `charm prepare`: a corpus encoded once, for another engine to train on (the PyTorch trainer).
 * The corpus rules, the vocabulary and the train/validation split are those of `charm train`, so
 * both engines see the same data. It streams: pass 1 walks the files one at a time (the rules of
 * corpusEntries), counts code points and spools the resulting text to a temporary file; pass 2
 * reads the spool in bounded chunks and writes ids. Memory holds the files being read and one
 * chunk, never the corpus; the spool also means each file is read and scanned for secrets once,
 * and a file changing between the passes cannot make the counts disagree with the ids.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CharmError } from '../errors';
import { processIsAlive } from '../util/processAlive';
import { CorpusStats } from './checkpoint';
import { Corpus, CorpusOptions, corpusEntries, corpusHasher, describeCorpus, emptyCorpusError, skippedByReason } from './corpus';
import { validationLength } from './dataset';
import { DEFAULT_HYPERPARAMETERS } from './hyperparameters';
import { errnoCode } from './outputFolder';
import {
  MANIFEST_FILE,
  PREPARED_FORMAT,
  PREPARED_VERSION,
  PREPARE_TEMP_NAME,
  PreparedDtype,
  PreparedManifest,
  TRAIN_FILE,
  VAL_FILE,
  VOCAB_FILE,
  dtypeFor,
} from './preparedFormat';
import { CodePointCounts, Vocabulary } from './vocabulary';

export interface PrepareRequest {
  paths: readonly string[];
  out: string;
  /** Default: `charm train`'s. */
  valFraction?: number;
  /** Recorded for the trainer (the split itself does not depend on it). Default: `charm train`'s. */
  seed?: number;
  /** Default: `charm train`'s (256). */
  maxVocabulary?: number;
  /** Replace a prepared folder already at `out`. */
  overwrite?: boolean;
  /** The corpus rules; there is no total limit unless one is given here. */
  corpus?: CorpusOptions;
  signal?: AbortSignal;
}

export interface PrepareResult {
  out: string;
  manifest: PreparedManifest;
  /** describeCorpus's line, e.g. "3 files, 1,204 chars; nothing skipped". */
  summary: string;
}

/** Bytes of the spool read per chunk in pass 2. */
const CHUNK_BYTES = 1 << 20;
const SPOOL_FILE = 'corpus.spool';
/** Put between files, as buildCorpus does. */
const SEPARATOR = '\n\n';

export async function prepareCorpus(request: PrepareRequest): Promise<PrepareResult> {
  if (request.paths.length === 0) throw new CharmError('No input: name at least one file or folder to prepare');
  const valFraction = request.valFraction ?? DEFAULT_HYPERPARAMETERS.valFraction;
  if (!(Number.isFinite(valFraction) && valFraction >= 0 && valFraction < 1)) throw new CharmError(`--val-fraction must be in [0, 1), got ${valFraction}`);
  const seed = request.seed ?? DEFAULT_HYPERPARAMETERS.seed;
  if (!Number.isInteger(seed)) throw new CharmError(`--seed must be an integer, got ${seed}`);
  const out = path.resolve(request.out);
  checkTarget(out, !!request.overwrite);
  const parent = path.dirname(out);
  const temp = path.join(parent, `.${path.basename(out)}.prepare-tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    removeStaleTemps(parent, path.basename(out));
    fs.mkdirSync(temp);
  } catch (error) {
    if (!errnoCode(error)) throw error;
    throw new CharmError(`Cannot write to ${parent}: ${(error as Error).message}; choose another --out`);
  }
  try {
    const manifest = await writePrepared(request, temp, valFraction, seed);
    const summary = describeCorpus(manifest.listing);
    swapInto(temp, out);
    return { out, manifest: manifest.manifest, summary };
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (errnoCode(error) && !(error instanceof CharmError)) {
      throw new CharmError(`Could not write the prepared data next to ${out}: ${(error as Error).message}`);
    }
    throw error;
  }
}

/** `out` may be absent, or (with overwrite) a prepared folder; anything else is never replaced. */
function checkTarget(out: string, overwrite: boolean): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new CharmError(`${out} is a file: choose another --out`);
  const isPrepared = readFormat(path.join(out, MANIFEST_FILE)) === PREPARED_FORMAT;
  const isEmpty = fs.readdirSync(out).length === 0;
  if (!isPrepared && !isEmpty) throw new CharmError(`${out} exists and is not a prepared-data folder: choose another --out (it is never replaced)`);
  if (isPrepared && !overwrite) throw new CharmError(`${out} already holds prepared data: pass --overwrite to replace it`);
}

function readFormat(file: string): unknown {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof json === 'object' && json !== null && 'format' in json ? json.format : undefined;
  } catch {
    return undefined;
  }
}

/** Temporary folders for `name` whose writer died (a kill -9, a power cut). */
function removeStaleTemps(parent: string, name: string): void {
  for (const entry of fs.readdirSync(parent)) {
    const match = PREPARE_TEMP_NAME.exec(entry);
    if (!match || match[1] !== name) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * Renames the complete folder into place. Replacing, the old folder is moved aside first and
 * removed last: a crash between the two renames leaves `<out>.prev`, complete, and no half folder
 * (the next successful run removes it).
 */
function swapInto(temp: string, out: string): void {
  const previous = `${out}.prev`;
  if (fs.existsSync(out)) {
    fs.rmSync(previous, { recursive: true, force: true });
    fs.renameSync(out, previous);
    try {
      fs.renameSync(temp, out);
    } catch (error) {
      // Put the old folder back under its name before the caller removes the new one.
      fs.renameSync(previous, out);
      throw error;
    }
  } else {
    fs.renameSync(temp, out);
  }
  if (readFormat(path.join(previous, MANIFEST_FILE)) === PREPARED_FORMAT) fs.rmSync(previous, { recursive: true, force: true });
}

interface Written {
  manifest: PreparedManifest;
  listing: Pick<Corpus, 'files' | 'skipped' | 'redacted'> & { chars: number };
}

async function writePrepared(request: PrepareRequest, dir: string, valFraction: number, seed: number): Promise<Written> {
  const spool = path.join(dir, SPOOL_FILE);
  const pass1 = await spoolCorpus(request, spool);
  const listing = { files: pass1.files, skipped: pass1.skipped, redacted: pass1.redacted, chars: pass1.codeUnits };
  if (pass1.tokens === 0) throw emptyCorpusError(request.paths, listing);

  const vocab = Vocabulary.fromCounts(pass1.counts, request.maxVocabulary);
  const dtype = dtypeFor(vocab.size);
  const valTokens = validationLength(pass1.tokens, valFraction);
  const trainTokens = pass1.tokens - valTokens;
  const pass2 = await encodeSpool(spool, vocab, dtype, trainTokens, path.join(dir, TRAIN_FILE), path.join(dir, VAL_FILE), request.signal);
  fs.rmSync(spool);
  if (pass2.tokens !== pass1.tokens) throw new Error(`Internal: the spool held ${pass2.tokens} characters, ${pass1.tokens} were counted`);

  const vocabJson = JSON.stringify(vocab.toJSON());
  writeSynced(path.join(dir, VOCAB_FILE), vocabJson);
  const corpus: CorpusStats = {
    sources: request.paths.map((p) => path.resolve(p)),
    files: pass1.files.length,
    chars: pass1.tokens,
    trainChars: trainTokens,
    valChars: valTokens,
    unknownChars: pass2.unknown,
    skipped: skippedByReason(pass1.skipped),
    filesRead: pass1.files.map((f) => f.path),
    redacted: pass1.redacted,
  };
  const manifest: PreparedManifest = {
    format: PREPARED_FORMAT,
    version: PREPARED_VERSION,
    dtype,
    vocabulary: VOCAB_FILE,
    vocabularySize: vocab.size,
    train: { file: TRAIN_FILE, tokens: trainTokens },
    val: { file: VAL_FILE, tokens: valTokens },
    valFraction,
    seed,
    corpus,
    corpusHash: pass1.corpusHash,
    sha256: { [TRAIN_FILE]: pass2.trainSha256, [VAL_FILE]: pass2.valSha256, [VOCAB_FILE]: sha256(vocabJson) },
  };
  // Last: its presence marks a complete folder.
  writeSynced(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
  return { manifest, listing };
}

interface Pass1 {
  counts: CodePointCounts;
  corpusHash: string;
  /** Code points (ids to write), separators included. */
  tokens: number;
  /** UTF-16 code units, as buildCorpus's text.length counts them. */
  codeUnits: number;
  files: Corpus['files'];
  skipped: Corpus['skipped'];
  redacted: Corpus['redacted'];
}

/** Pass 1: the corpus text, file by file, counted and appended to the spool as UTF-8. */
async function spoolCorpus(request: PrepareRequest, spool: string): Promise<Pass1> {
  const counts = new CodePointCounts();
  const hasher = corpusHasher();
  const result: Pass1 = { counts, corpusHash: '', tokens: 0, codeUnits: 0, files: [], skipped: [], redacted: [] };
  const handle = await fs.promises.open(spool, 'w');
  try {
    const options: CorpusOptions = { maxTotalChars: Infinity, ...request.corpus, separator: SEPARATOR, signal: request.signal };
    for await (const entry of corpusEntries(request.paths, options)) {
      if (entry.kind === 'skip') {
        result.skipped.push({ path: entry.path, reason: entry.reason });
        continue;
      }
      if (entry.secrets > 0) result.redacted.push({ path: entry.path, count: entry.secrets });
      if (entry.text.length === 0) continue;
      // buildCorpus joins the texts with the separator: the same characters, in the same places.
      const text = result.files.length > 0 ? SEPARATOR + entry.text : entry.text;
      result.tokens += counts.add(text);
      hasher.update(text);
      result.codeUnits += text.length;
      result.files.push({ path: entry.path, chars: entry.text.length });
      await handle.write(text, null, 'utf8');
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  result.corpusHash = hasher.digest();
  return result;
}

interface Pass2 {
  tokens: number;
  unknown: number;
  trainSha256: string;
  valSha256: string;
}

/** Pass 2: the spool's text as ids, the first `trainTokens` to train.bin and the rest to val.bin. */
async function encodeSpool(
  spool: string,
  vocab: Vocabulary,
  dtype: PreparedDtype,
  trainTokens: number,
  trainFile: string,
  valFile: string,
  signal: AbortSignal | undefined,
): Promise<Pass2> {
  const train = await IdWriter.open(trainFile, dtype);
  const val = await IdWriter.open(valFile, dtype);
  let tokens = 0;
  let unknown = 0;
  try {
    // In stream mode the decoder holds back a split UTF-8 sequence, so no chunk splits a code point.
    const decoder = new TextDecoder('utf-8');
    const input = fs.createReadStream(spool, { highWaterMark: CHUNK_BYTES });
    for await (const chunk of input as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      const ids = vocab.encode(decoder.decode(chunk, { stream: true }));
      for (let i = 0; i < ids.length; i++) if (ids[i] === vocab.unknownId) unknown++;
      const toTrain = Math.max(0, Math.min(ids.length, trainTokens - tokens));
      if (toTrain > 0) await train.write(ids.subarray(0, toTrain));
      if (toTrain < ids.length) await val.write(ids.subarray(toTrain));
      tokens += ids.length;
    }
    const rest = vocab.encode(decoder.decode());
    if (rest.length > 0) throw new Error('Internal: the spool ended inside a character');
    return { tokens, unknown, trainSha256: await train.finish(), valSha256: await val.finish() };
  } finally {
    await train.close();
    await val.close();
  }
}

/** Appends ids as little-endian uint16 or uint32, hashing what it writes. */
class IdWriter {
  private readonly hash = crypto.createHash('sha256');

  private constructor(
    private readonly handle: fs.promises.FileHandle,
    private readonly dtype: PreparedDtype,
  ) {}

  static async open(file: string, dtype: PreparedDtype): Promise<IdWriter> {
    return new IdWriter(await fs.promises.open(file, 'w'), dtype);
  }

  async write(ids: Int32Array): Promise<void> {
    const typed = this.dtype === 'uint16' ? Uint16Array.from(ids) : Uint32Array.from(ids);
    const bytes = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
    if (os.endianness() === 'BE') {
      if (this.dtype === 'uint16') bytes.swap16();
      else bytes.swap32();
    }
    this.hash.update(bytes);
    await this.handle.write(bytes);
  }

  /** Syncs the file; returns the SHA-256 of its bytes. */
  async finish(): Promise<string> {
    await this.handle.sync();
    return this.hash.digest('hex');
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

function writeSynced(file: string, text: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
