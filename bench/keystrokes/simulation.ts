/**
 * The simulated user of the keystroke benchmark: types a file into an empty document one key at a
 * time, asking a Suggester for ghost text at the cursor after every change, and accepts the ghost
 * text when it is what comes next. No model, no network: the tests drive it with fake suggesters.
 *
 * Two users:
 *   tab   presses Tab (1 keystroke) when the whole suggestion is what follows; else types a character.
 *   word  the same, and when only the start of the suggestion is right, also takes its leading words
 *         with Accept Next Word (1 keystroke each, VS Code's rule: words.ts) as long as they are
 *         what follows; then types on.
 * A suggestion counts as shown once: while it is being typed through (after typing c the new
 * suggestion is the old one without its leading c), it is the same suggestion.
 */
import { nextWordLength } from './words';

export interface Cursor {
  /** The document's URI: one per file and user. */
  doc: string;
  /** Starts at 0 and increments on every change of the document. */
  version: number;
  languageId: string;
  /** What was typed so far; the cursor is at its end and nothing follows it. */
  before: string;
}

export interface Suggestion {
  /** The ghost text ('' for none). */
  text: string;
  /** The suggester's probability that the suggestion is right, if it gives one (calibration). */
  probability?: number;
}

/** Anything that shows ghost text: Charm through the extension's pipeline, or an anchor. */
export interface Suggester {
  readonly name: string;
  /** An empty document is opened. */
  open(doc: string): void | Promise<void>;
  suggest(at: Cursor): Promise<Suggestion | undefined>;
  /** `text` was entered (typed or accepted) at the end of `before`. */
  entered(doc: string, before: string, text: string): void;
  /** The document is closed: forget it. */
  close(doc: string): void;
  /** The user saved a file written in this session (`rel` in the workspace), which every suggester may learn. */
  saved(file: { doc: string; rel: string; text: string }): Promise<void> | void;
  /** A new simulated user starts: forget the files saved so far. */
  startSession(): Promise<void> | void;
}

export type UserKind = 'tab' | 'word';
export const USERS: readonly UserKind[] = ['tab', 'word'];

/** One shown suggestion, for the calibration table. */
export interface ShownRecord {
  probability?: number;
  accepted: boolean;
}

/** Counts of one user typing one or more files with one suggester. */
export interface Tally {
  /** Characters (code points) of the typed text. */
  chars: number;
  keystrokes: number;
  shown: number;
  /** Shown suggestions of which at least one character was accepted. */
  accepted: number;
  /** Characters entered by accepting (Tab or Accept Next Word). */
  acceptedChars: number;
  /** Per shown suggestion, its characters after the longest common prefix with the text that follows. */
  wrongChars: number;
  /** Milliseconds of each suggest() call (one per keystroke that changed the document). */
  latencies: number[];
  records: ShownRecord[];
}

export function emptyTally(): Tally {
  return { chars: 0, keystrokes: 0, shown: 0, accepted: 0, acceptedChars: 0, wrongChars: 0, latencies: [], records: [] };
}

export function addTally(into: Tally, t: Tally): Tally {
  into.chars += t.chars;
  into.keystrokes += t.keystrokes;
  into.shown += t.shown;
  into.accepted += t.accepted;
  into.acceptedChars += t.acceptedChars;
  into.wrongChars += t.wrongChars;
  for (const x of t.latencies) into.latencies.push(x);
  for (const r of t.records) into.records.push(r);
  return into;
}

export interface TypedFile {
  doc: string;
  languageId: string;
  text: string;
  /** Where typing starts: the text before it is in the document already (not counted). Default 0. */
  start?: number;
}

/** Ghost text on screen: what of the shown suggestion has not been typed or accepted yet. */
interface Ghost {
  rest: string;
  record: ShownRecord;
}

/** Types `file.text` to the end as `user` would, with `suggester` giving the ghost text. */
export async function typeFile(suggester: Suggester, user: UserKind, file: TypedFile, clock: () => number = () => performance.now()): Promise<Tally> {
  const { doc, text, languageId } = file;
  const t = emptyTally();
  let pos = file.start ?? 0;
  t.chars = countCodePoints(text.slice(pos));
  let version = 0;
  let ghost: Ghost | undefined;
  const enter = (chunk: string) => {
    suggester.entered(doc, text.slice(0, pos), chunk);
    pos += chunk.length;
    version++;
  };
  const accept = (g: Ghost, chars: string) => {
    t.keystrokes++;
    if (!g.record.accepted) {
      g.record.accepted = true;
      t.accepted++;
    }
    t.acceptedChars += countCodePoints(chars);
    enter(chars);
    g.rest = g.rest.slice(chars.length);
  };

  await suggester.open(doc);
  try {
    while (pos < text.length) {
      const started = clock();
      const suggestion = await suggester.suggest({ doc, version, languageId, before: text.slice(0, pos) });
      t.latencies.push(clock() - started);
      const shown = suggestion?.text ?? '';
      if (shown === '') {
        ghost = undefined;
      } else if (ghost === undefined || ghost.rest !== shown) {
        const record: ShownRecord = { probability: suggestion?.probability, accepted: false };
        t.shown++;
        t.records.push(record);
        t.wrongChars += countCodePoints(shown.slice(commonPrefixLength(shown, text, pos)));
        ghost = { rest: shown, record };
      }

      if (ghost && text.startsWith(ghost.rest, pos)) {
        accept(ghost, ghost.rest);
        ghost = undefined;
        continue;
      }
      if (ghost && user === 'word') {
        while (ghost.rest !== '') {
          const piece = ghost.rest.slice(0, nextWordLength(ghost.rest));
          if (!text.startsWith(piece, pos)) break;
          accept(ghost, piece);
        }
        if (ghost.rest === '') {
          ghost = undefined;
          continue;
        }
        // VS Code keeps the rest of a partly accepted suggestion on screen; the user types on.
        if (pos >= text.length) break;
      }

      const typed = String.fromCodePoint(text.codePointAt(pos) as number);
      t.keystrokes++;
      enter(typed);
      ghost =
        ghost && ghost.rest.length > typed.length && ghost.rest.startsWith(typed) ? { rest: ghost.rest.slice(typed.length), record: ghost.record } : undefined;
    }
  } finally {
    suggester.close(doc);
  }
  return t;
}

/** Length of the common prefix of `a` and `text` from `pos`, in UTF-16 code units, never splitting a pair. */
function commonPrefixLength(a: string, text: string, pos: number): number {
  let k = 0;
  while (k < a.length && pos + k < text.length && a.charCodeAt(k) === text.charCodeAt(pos + k)) k++;
  if (k > 0 && k < a.length && isHighSurrogate(a.charCodeAt(k - 1))) k--;
  return k;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function countCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
