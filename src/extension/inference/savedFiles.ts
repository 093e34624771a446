/**
 * Continuous learning of the workspace memory: each file the user saves is learned by the
 * workspace n-gram at once, so a file written after training (or a new identifier in an old file)
 * is known in every other file, not only in its own document cache. Saving a file again replaces
 * its previous version (its counts are removed), so a file saved fifty times counts once.
 *
 * Bounded: past `maxChars` learned, the files saved longest ago are unlearned first. The corpus
 * version of a file the model was trained on stays counted beside its saved version until the
 * memory is rebuilt (the next training): the corpus text is not kept to subtract it.
 *
 * Saved files have a match model of their own (`match`), beside the corpus's: it holds exactly
 * the files learned now. A new file is appended; a re-saved, unlearned or evicted one makes it
 * rebuild from what is learned, which costs the saved text only (at most the bound).
 */
import type { CharNgram } from '../../model/ngram';
import { MatchIndex } from '../../model/matchModel';
import { normalizeEol } from '../text';

/** The context a saved file is learned after: a file starts as after the corpus' separator. */
const FILE_START = '\n\n';

/** Learned saved files at most (characters); about 1 MiB of n-gram nodes per 40 k characters of code. */
const MAX_SAVED_CHARS = 2_000_000;

export class SavedFiles {
  /** Key -> the text learned for it, oldest save first (re-saving moves a file to the end). */
  private readonly learned = new Map<string, string>();
  private chars = 0;
  /** The match model of the files learned now. */
  readonly match = new MatchIndex();

  constructor(
    private readonly ngram: CharNgram,
    private readonly maxChars = MAX_SAVED_CHARS,
  ) {}

  /** How many files and characters are learned now. */
  get size(): { files: number; chars: number } {
    return { files: this.learned.size, chars: this.chars };
  }

  /** Learns `text` as the content of `key` (a path or URI), replacing what was learned for it. */
  learn(key: string, text: string): void {
    const normalized = normalizeEol(text);
    const previous = this.learned.get(key);
    if (previous === normalized) return;
    let removed = this.drop(key);
    if (normalized.length > 0 && normalized.length <= this.maxChars) {
      this.ngram.add(normalized, FILE_START);
      this.learned.set(key, normalized);
      this.chars += normalized.length;
      for (const oldest of this.learned.keys()) {
        if (this.chars <= this.maxChars) break;
        removed = this.drop(oldest) || removed;
      }
    }
    if (removed) this.rebuildMatch();
    else if (this.learned.has(key)) this.match.append(FILE_START + normalized);
  }

  /** Removes what was learned for `key` (a deleted file), if anything. */
  unlearn(key: string): void {
    if (this.drop(key)) this.rebuildMatch();
  }

  /** Unlearns every saved file (the benchmark starts each simulated user afresh). */
  clear(): void {
    for (const key of [...this.learned.keys()]) this.drop(key);
    this.match.truncate(0);
  }

  /** The match model's text: the files learned now, the latest save last. */
  private rebuildMatch(): void {
    this.match.truncate(0);
    for (const kept of this.learned.values()) this.match.append(FILE_START + kept);
  }

  /** Unlearns `key` from the n-gram; true if it was learned (rebuilding the match model is the caller's). */
  private drop(key: string): boolean {
    const text = this.learned.get(key);
    if (text === undefined) return false;
    this.ngram.remove(text, FILE_START);
    this.learned.delete(key);
    this.chars -= text.length;
    return true;
  }
}
