/**
 * The request lines of `charm complete` (JSON, one per line), checked field by field so that a bad
 * line gets a reply saying what is wrong instead of a wrong suggestion or a crash.
 *
 *   {"id":1,"doc":"file:///a.ts","offset":1234,"before":"…","after":"…","nextLine":"…","languageId":"typescript"}
 *   {"id":2,"forget":"file:///a.ts"}
 *   {"id":3,"saved":"/work/src/b.ts"}   (or a file:// URI: the file was saved, the workspace memory learns it)
 */
import { fileURLToPath } from 'node:url';
import type { CursorText } from '../extension/completion/input';
import { hash32 } from '../extension/text';

/** A request's id, echoed in its reply: a number or a string, as the client chose. */
export type RequestId = number | string;

export type CompleteLine =
  | { kind: 'complete'; id: RequestId; cursor: CursorText }
  | { kind: 'forget'; id: RequestId; doc: string }
  | { kind: 'saved'; id: RequestId; file: string }
  /** `id` is null when the line has no usable id. */
  | { kind: 'error'; id: RequestId | null; message: string };

export function parseRequestLine(line: string): CompleteLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { kind: 'error', id: null, message: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'error', id: null, message: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : describe(value)}` };
  }
  const r = value as Record<string, unknown>;
  if (!('id' in r)) return { kind: 'error', id: null, message: 'missing "id" (a number or a string, echoed in the reply)' };
  if (!((typeof r.id === 'number' && Number.isFinite(r.id)) || typeof r.id === 'string')) {
    return { kind: 'error', id: null, message: `"id" must be a number or a string, got ${describe(r.id)}` };
  }
  const id = r.id;
  const fail = (message: string): CompleteLine => ({ kind: 'error', id, message });

  if ('forget' in r) {
    if (typeof r.forget !== 'string' || r.forget === '') return fail(`"forget" must be a document's URI (a non-empty string), got ${describe(r.forget)}`);
    return { kind: 'forget', id, doc: r.forget };
  }
  if ('saved' in r) {
    if (typeof r.saved !== 'string' || r.saved === '') return fail(`"saved" must be the saved file's path or file:// URI, got ${describe(r.saved)}`);
    if (!r.saved.startsWith('file:')) return { kind: 'saved', id, file: r.saved };
    try {
      return { kind: 'saved', id, file: fileURLToPath(r.saved) };
    } catch (error) {
      return fail(`"saved": ${(error as Error).message}`);
    }
  }

  if (typeof r.doc !== 'string' || r.doc === '') return fail(`"doc" must be the document's URI (a non-empty string), got ${describe(r.doc)}`);
  if (typeof r.before !== 'string') return fail(`"before" must be a string (the text before the cursor), got ${describe(r.before)}`);
  const after = r.after ?? '';
  if (typeof after !== 'string') return fail(`"after" must be a string (the rest of the cursor's line), got ${describe(after)}`);
  if (after.includes('\n')) return fail('"after" must be the rest of the cursor\'s line only: it contains a line break');
  const nextLine = r.nextLine ?? undefined;
  if (nextLine !== undefined && typeof nextLine !== 'string') return fail(`"nextLine" must be a string, got ${describe(nextLine)}`);
  if (nextLine?.includes('\n')) return fail('"nextLine" must be one line: it contains a line break');
  // Editors without a file type (an empty one in Neovim) mean plain text.
  const languageId = r.languageId === undefined || r.languageId === null || r.languageId === '' ? 'plaintext' : r.languageId;
  if (typeof languageId !== 'string') return fail(`"languageId" must be a string, got ${describe(languageId)}`);
  if (typeof r.offset !== 'number' || !Number.isSafeInteger(r.offset) || r.offset < 0) {
    return fail(`"offset" must be the cursor's offset in the document (an integer, 0 or more), got ${describe(r.offset)}`);
  }
  // "before" may be the last few thousand characters only, never more than the text before the cursor.
  if (r.offset < r.before.length) return fail(`"offset" ${r.offset} does not match "before": the cursor is at least ${r.before.length} characters in`);
  const version = r.version ?? undefined;
  if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version)))
    return fail(`"version" must be an integer, got ${describe(version)}`);
  const explicit = r.explicit ?? false;
  if (typeof explicit !== 'boolean') return fail(`"explicit" must be true or false, got ${describe(explicit)}`);

  return {
    kind: 'complete',
    id,
    cursor: {
      doc: r.doc,
      version: version ?? textVersion(r.before, after, nextLine),
      languageId,
      offset: r.offset,
      before: r.before,
      after,
      nextLine,
      explicit,
    },
  };
}

/**
 * A version for a client that sends none: it changes whenever the text the suggestion depends on
 * changes, so the service's cache (keyed by document, version and offset) never answers for other
 * text. A 32-bit hash of the text before the cursor (what changes as one types) and 20 bits of
 * one of the rest, combined into a safe integer.
 */
export function textVersion(before: string, after: string, nextLine: string | undefined): number {
  const rest = `${after}\n${nextLine ?? '\u0000'}`;
  return hash32(before) * 2 ** 20 + (hash32(rest) >>> 12);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
