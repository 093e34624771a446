import * as crypto from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import { CharmError } from '../errors';
import {
  ALWAYS_SKIPPED_DIRS,
  DEFAULT_SECRET_PATTERNS,
  IgnoreLevel,
  NameMatcher,
  baseNameMatcher,
  isGitIgnored,
  makeIgnoreLevel,
  pathMatcher,
} from './corpusRules';
import { isCheckpointFolder, isCheckpointFolderAt, isPreparedFolder, isPreparedFolderAt } from './corpusCheckpoints';
import { redactSecrets } from './secrets';

export { DEFAULT_SECRET_PATTERNS } from './corpusRules';

export interface CorpusOptions {
  /** Files larger than this many bytes are skipped. Default 1_000_000. */
  maxFileBytes?: number;
  /**
   * Read files that look like credentials, and keep secrets found inside files instead of
   * replacing them by SECRET_PLACEHOLDER. Default false.
   */
  includeSecrets?: boolean;
  /** Base-name patterns of secret files; default DEFAULT_SECRET_PATTERNS. */
  secretPatterns?: readonly string[];
  /** Extra patterns in gitignore syntax, relative to each folder walked. */
  exclude?: readonly string[];
  /** Put between files. Default '\n\n'. */
  separator?: string;
  /** Stop collecting at this many chars (UTF-16 code units, separators included). Default 50_000_000. */
  maxTotalChars?: number;
  /** Cancels the walk; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export type SkipReason = 'checkpoint' | 'prepared' | 'binary' | 'too-large' | 'secret' | 'ignored' | 'excluded' | 'unreadable' | 'limit';

const SKIP_REASONS: readonly SkipReason[] = ['checkpoint', 'prepared', 'binary', 'too-large', 'secret', 'ignored', 'excluded', 'unreadable', 'limit'];

export interface Corpus {
  text: string;
  /** Files in the order their text appears; `chars` counts UTF-16 code units after normalising. */
  files: { path: string; chars: number }[];
  skipped: { path: string; reason: SkipReason }[];
  /** Files in which secrets were replaced by SECRET_PLACEHOLDER, with how many. */
  redacted: { path: string; count: number }[];
}

export const DEFAULT_MAX_FILE_BYTES = 1_000_000;
const DEFAULT_MAX_TOTAL_CHARS = 50_000_000;
/** Files read at once: enough to hide disk latency, few enough not to run out of handles. */
const READ_AHEAD = 16;

type Item = { kind: 'skip'; path: string; reason: SkipReason } | { kind: 'file'; path: string; real: string; explicit?: boolean };

interface WalkContext {
  readonly items: Item[];
  /** Real paths already listed (folders with a trailing separator), so nothing is read twice. */
  readonly seen: Set<string>;
  readonly isSecret: NameMatcher | undefined;
  readonly isExcluded: ((rel: string, isDir: boolean) => boolean) | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Collects the text of files and folders (walked recursively, honouring .gitignore files)
 * into one training text. Paths in the result are the given paths joined with the
 * relative path inside them.
 */
export async function buildCorpus(paths: readonly string[], options: CorpusOptions = {}): Promise<Corpus> {
  const separator = options.separator ?? '\n\n';
  const parts: string[] = [];
  const files: Corpus['files'] = [];
  const skipped: Corpus['skipped'] = [];
  const redacted: Corpus['redacted'] = [];
  for await (const entry of corpusEntries(paths, options)) {
    if (entry.kind === 'skip') {
      skipped.push({ path: entry.path, reason: entry.reason });
      continue;
    }
    if (entry.secrets > 0) redacted.push({ path: entry.path, count: entry.secrets });
    if (entry.text.length === 0) continue;
    parts.push(entry.text);
    files.push({ path: entry.path, chars: entry.text.length });
  }
  return { text: parts.join(separator), files, skipped, redacted };
}

/**
 * One file's part of a corpus, in corpus order: its text (normalised, secrets replaced, cut at the
 * total limit; empty only when the limit left nothing of it) or why it was left out. The corpus
 * text is the non-empty texts joined by the separator.
 */
export type CorpusEntry = { kind: 'text'; path: string; text: string; secrets: number } | { kind: 'skip'; path: string; reason: SkipReason };

/**
 * The files of a corpus one at a time, with the rules of buildCorpus (which is built on it), so a
 * corpus larger than memory can be streamed: only the files being read are held.
 */
export async function* corpusEntries(paths: readonly string[], options: CorpusOptions = {}): AsyncGenerator<CorpusEntry> {
  const maxFileBytes = positive(options.maxFileBytes, DEFAULT_MAX_FILE_BYTES, 'maxFileBytes');
  const maxTotalChars = positive(options.maxTotalChars, DEFAULT_MAX_TOTAL_CHARS, 'maxTotalChars');
  const separator = options.separator ?? '\n\n';
  if (typeof separator !== 'string') throw new CharmError('The separator between files must be a string.');
  const signal = options.signal;
  signal?.throwIfAborted();

  const ctx: WalkContext = {
    items: [],
    seen: new Set(),
    isSecret: options.includeSecrets ? undefined : baseNameMatcher(options.secretPatterns ?? DEFAULT_SECRET_PATTERNS, 'The secret file patterns'),
    isExcluded: options.exclude?.length ? pathMatcher(options.exclude, 'The exclude patterns') : undefined,
    signal,
  };

  // Check every path before walking, so a typo fails at once rather than after a long walk.
  const stats = await Promise.all(paths.map(statRoot));
  for (let i = 0; i < paths.length; i++) {
    const given = paths[i];
    const st = stats[i];
    if (st === undefined) {
      ctx.items.push({ kind: 'skip', path: given, reason: 'unreadable' });
    } else if (st.isDirectory()) {
      await walkRoot(given, ctx);
    } else {
      await addExplicitFile(given, ctx);
    }
  }

  yield* readItems(ctx.items, { maxFileBytes, maxTotalChars, separator, signal, redact: !options.includeSecrets });
}

/** What describeCorpus needs: the lists, and the text or its length in UTF-16 code units. */
export type CorpusListing = Pick<Corpus, 'files' | 'skipped' | 'redacted'> & ({ text: string } | { chars: number });

/**
 * One-line summary, e.g. "3 files, 1,204 chars; skipped 3 (1 binary, 2 over the total limit);
 * 2 secrets replaced in 1 file".
 */
export function describeCorpus(c: CorpusListing): string {
  const files = `${count(c.files.length, 'file')}, ${count('text' in c ? c.text.length : c.chars, 'char')}`;
  let skipped = 'nothing skipped';
  if (c.skipped.length > 0) {
    const byReason = new Map<SkipReason, number>();
    for (const s of c.skipped) byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
    const parts = SKIP_REASONS.filter((r) => byReason.has(r)).map((r) => `${fmt(byReason.get(r) ?? 0)} ${REASON_LABELS[r]}`);
    skipped = `skipped ${fmt(c.skipped.length)} (${parts.join(', ')})`;
  }
  if (c.redacted.length === 0) return `${files}; ${skipped}`;
  const secrets = c.redacted.reduce((n, r) => n + r.count, 0);
  return `${files}; ${skipped}; ${count(secrets, 'secret')} replaced in ${count(c.redacted.length, 'file')}`;
}

/** Skipped files counted by reason, in SKIP_REASONS order (as describeCorpus lists them): CorpusStats.skipped. */
export function skippedByReason(skipped: Corpus['skipped']): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const reason of SKIP_REASONS) {
    const n = skipped.filter((s) => s.reason === reason).length;
    if (n) byReason[reason] = n;
  }
  return byReason;
}

/**
 * The identity of a corpus text (checkpoints record it as training.corpusHash: a resume on the same
 * text continues, on another it fine-tunes), fed in pieces or whole: the same text, the same hash.
 */
export function corpusHasher(): { update(text: string): void; digest(): string } {
  const hash = crypto.createHash('sha256');
  return {
    update: (text) => {
      hash.update(text);
    },
    digest: () => hash.digest('hex').slice(0, 16),
  };
}

/** The refusal of a corpus with no text, naming what was found instead. */
export function emptyCorpusError(paths: readonly string[], c: CorpusListing): CharmError {
  return new CharmError(`The corpus is empty: no readable text files in ${paths.join(', ')} (${describeCorpus(c)})`);
}

const REASON_LABELS: Record<SkipReason, string> = {
  checkpoint: 'Charm checkpoint',
  prepared: 'Charm prepared data',
  binary: 'binary',
  'too-large': 'too large',
  secret: 'secret',
  ignored: 'ignored',
  excluded: 'excluded',
  unreadable: 'unreadable',
  limit: 'over the total limit',
};

function count(n: number, noun: string): string {
  return `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new CharmError(`${name} must be a positive number, got ${String(value)}.`);
  }
  return value;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

async function statRoot(given: string) {
  try {
    return await fsp.stat(given);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CharmError(`No such file or folder: ${given}`);
    return undefined;
  }
}

/** A file named explicitly is read even if ignored or excluded; only the content rules apply. */
async function addExplicitFile(given: string, ctx: WalkContext): Promise<void> {
  let real: string;
  try {
    real = await fsp.realpath(given);
  } catch {
    ctx.items.push({ kind: 'skip', path: given, reason: 'unreadable' });
    return;
  }
  if (ctx.isSecret && (ctx.isSecret(path.basename(given)) || ctx.isSecret(path.basename(real)))) {
    ctx.items.push({ kind: 'skip', path: given, reason: 'secret' });
    return;
  }
  // A model's own files are never text to learn, even when named.
  if (await isCheckpointFolderAt(path.dirname(real))) {
    ctx.items.push({ kind: 'skip', path: given, reason: 'checkpoint' });
    return;
  }
  if (await isPreparedFolderAt(path.dirname(real))) {
    ctx.items.push({ kind: 'skip', path: given, reason: 'prepared' });
    return;
  }
  if (ctx.seen.has(real)) return;
  ctx.seen.add(real);
  // The size limit keeps large generated files out of a folder walk; a file named on purpose is read.
  ctx.items.push({ kind: 'file', path: given, real, explicit: true });
}

async function walkRoot(given: string, ctx: WalkContext): Promise<void> {
  let real: string;
  try {
    real = await fsp.realpath(given);
  } catch {
    ctx.items.push({ kind: 'skip', path: given, reason: 'unreadable' });
    return;
  }
  // The same folder named twice (or by two spellings) is walked once.
  const key = `${real}${path.sep}`;
  if (ctx.seen.has(key)) return;
  ctx.seen.add(key);
  await walkDir(given, real, '', await enclosingLevels(real), ctx);
}

/**
 * The .gitignore files between the enclosing repository's top and `root` (exclusive),
 * so walking a subfolder of a repository honours the rules above it, as git does.
 * None when `root` is not inside a repository.
 */
async function enclosingLevels(root: string): Promise<IgnoreLevel[]> {
  const above: string[] = [];
  let dir = root;
  while (!(await exists(path.join(dir, '.git')))) {
    const parent = path.dirname(dir);
    if (parent === dir) return [];
    above.push(parent);
    dir = parent;
  }
  const levels: IgnoreLevel[] = [];
  for (const ancestor of above.reverse()) {
    const rules = await readRules(path.join(ancestor, '.gitignore'));
    if (rules === undefined) continue;
    const prepend = `${path.relative(ancestor, root).split(path.sep).join('/')}/`;
    levels.push(makeIgnoreLevel(rules, '', prepend));
  }
  return levels;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function readRules(p: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

function byName(a: Dirent, b: Dirent): number {
  // Code-unit order, not localeCompare, so the order is the same on every machine.
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function walkDir(shownDir: string, realDir: string, rel: string, levels: readonly IgnoreLevel[], ctx: WalkContext): Promise<void> {
  ctx.signal?.throwIfAborted();
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(realDir, { withFileTypes: true });
  } catch {
    ctx.items.push({ kind: 'skip', path: shownDir, reason: 'unreadable' });
    return;
  }
  entries.sort(byName);
  if (await isCheckpointFolder(realDir, entries)) {
    ctx.items.push({ kind: 'skip', path: shownDir, reason: 'checkpoint' });
    return;
  }
  if (await isPreparedFolder(realDir, entries)) {
    ctx.items.push({ kind: 'skip', path: shownDir, reason: 'prepared' });
    return;
  }

  if (entries.some((e) => e.name === '.gitignore' && e.isFile())) {
    const rules = await readRules(path.join(realDir, '.gitignore'));
    if (rules !== undefined) levels = [...levels, makeIgnoreLevel(rules, rel === '' ? '' : `${rel}/`, '')];
  }

  for (const entry of entries) {
    const name = entry.name;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const shown = path.join(shownDir, name);
    const real = path.join(realDir, name);

    if (entry.isDirectory()) {
      if (ALWAYS_SKIPPED_DIRS.has(name) || isGitIgnored(levels, childRel, true)) {
        ctx.items.push({ kind: 'skip', path: shown, reason: 'ignored' });
      } else if (ctx.isExcluded?.(childRel, true)) {
        ctx.items.push({ kind: 'skip', path: shown, reason: 'excluded' });
      } else {
        await walkDir(shown, real, childRel, levels, ctx);
      }
      continue;
    }
    // Sockets, FIFOs and devices are not text files; reading a FIFO could block forever.
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;

    // Git treats a symlink as a file, so it is matched as one.
    if (isGitIgnored(levels, childRel, false)) {
      ctx.items.push({ kind: 'skip', path: shown, reason: 'ignored' });
      continue;
    }
    if (ctx.isExcluded?.(childRel, false)) {
      ctx.items.push({ kind: 'skip', path: shown, reason: 'excluded' });
      continue;
    }

    let target = real;
    if (entry.isSymbolicLink()) {
      try {
        // Linked folders are not followed (they can form cycles); linked files are read.
        if (!(await fsp.stat(real)).isFile()) continue;
        target = await fsp.realpath(real);
      } catch {
        ctx.items.push({ kind: 'skip', path: shown, reason: 'unreadable' });
        continue;
      }
    }
    if (ctx.isSecret && (ctx.isSecret(name) || (target !== real && ctx.isSecret(path.basename(target))))) {
      ctx.items.push({ kind: 'skip', path: shown, reason: 'secret' });
      continue;
    }
    if (ctx.seen.has(target)) continue;
    ctx.seen.add(target);
    ctx.items.push({ kind: 'file', path: shown, real: target });
  }
}

type ReadResult = { kind: 'text'; text: string } | { kind: 'skip'; reason: SkipReason };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Opening a FIFO without O_NONBLOCK waits for a writer; the flag is absent on Windows.
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

async function readCandidate(file: string, maxFileBytes: number): Promise<ReadResult> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'skip', reason: 'unreadable' };
    if (st.size > maxFileBytes) return { kind: 'skip', reason: 'too-large' };
    const bytes = await handle.readFile();
    // The file may have grown since the stat.
    if (bytes.length > maxFileBytes) return { kind: 'skip', reason: 'too-large' };
    const text = decodeText(bytes);
    return text === undefined ? { kind: 'skip', reason: 'binary' } : { kind: 'text', text };
  } catch {
    return { kind: 'skip', reason: 'unreadable' };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** UTF-8 text with the BOM dropped and line ends made LF, or undefined for binary content. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.indexOf(0) !== -1) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes); // drops a leading BOM (ignoreBOM defaults to false)
  } catch {
    return undefined;
  }
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

interface ReadSettings {
  maxFileBytes: number;
  maxTotalChars: number;
  separator: string;
  signal: AbortSignal | undefined;
  /** Replace secrets found in file content. */
  redact: boolean;
}

/** Reads the listed files a few at a time, yielding them in the listed order. */
async function* readItems(items: readonly Item[], s: ReadSettings): AsyncGenerator<CorpusEntry> {
  let total = 0;
  let any = false;
  let full = false;

  const pending = new Map<number, Promise<ReadResult>>();
  let started = 0;
  const startUpTo = (end: number) => {
    for (; started < Math.min(end, items.length); started++) {
      const item = items[started];
      if (item.kind === 'file') pending.set(started, readCandidate(item.real, item.explicit ? Infinity : s.maxFileBytes));
    }
  };

  try {
    for (let i = 0; i < items.length; i++) {
      s.signal?.throwIfAborted();
      const item = items[i];
      if (item.kind === 'skip') {
        yield item;
        continue;
      }
      if (full) {
        yield { kind: 'skip', path: item.path, reason: 'limit' };
        continue;
      }
      startUpTo(i + READ_AHEAD);
      const result = await (pending.get(i) ?? readCandidate(item.real, item.explicit ? Infinity : s.maxFileBytes));
      pending.delete(i);
      if (result.kind === 'skip') {
        yield { kind: 'skip', path: item.path, reason: result.reason };
        continue;
      }
      let text = result.text;
      if (text.length === 0) continue;
      let secrets = 0;
      if (s.redact) {
        const r = await redactSecrets(text, item.real);
        text = r.text;
        secrets = r.count;
      }

      const sepLength = any ? s.separator.length : 0;
      const room = s.maxTotalChars - total - sepLength;
      if (text.length > room) {
        full = true;
        text = cutAt(text, room);
        // Listed as skipped too: part of it (or all of it) was left out.
        yield { kind: 'skip', path: item.path, reason: 'limit' };
      }
      yield { kind: 'text', path: item.path, text, secrets };
      if (text.length === 0) continue;
      any = true;
      total += sepLength + text.length;
      if (total >= s.maxTotalChars) full = true;
    }
  } finally {
    // Reads started ahead of the limit (or of a consumer that stopped) are left to finish; they never reject and close their handles.
    pending.clear();
  }
}

/** The first `n` code units of `text`, one fewer if that would split a surrogate pair. */
function cutAt(text: string, n: number): string {
  if (n <= 0) return '';
  const last = text.charCodeAt(n - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? n - 1 : n);
}
