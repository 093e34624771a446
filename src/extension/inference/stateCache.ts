/**
 * Recurrent states remembered per document, so a completion after one typed character costs one
 * model step instead of re-reading the whole context window.
 *
 * Each document keeps a few recent (offset, window, state) entries. A request at `offset` with
 * `window` (the text before the cursor, bounded) can continue from an entry at an earlier offset
 * `o` when the request's window, minus its last `offset - o` characters, ends the entry's window:
 * the text between is exactly what was typed since. Keeping several entries lets Backspace and
 * retyping land on a remembered position too. Generic over the state type, so it is tested without
 * a model.
 */

export interface StateMatch<S> {
  /** A copy of the remembered state, the caller's to change. */
  state: S;
  /** Text typed since the remembered position: feed it to reach the cursor ('' = exact hit). */
  delta: string;
  /** Offset of the entry used. */
  from: number;
}

interface Entry<S> {
  offset: number;
  window: string;
  state: S;
}

export interface StateCacheOptions<S> {
  copy(state: S): S;
  /** Documents remembered (least recently used forgotten first). */
  maxDocuments: number;
  /** Positions remembered per document. */
  maxPerDocument: number;
}

export class StateCache<S> {
  private readonly docs = new Map<string, Entry<S>[]>();

  constructor(private readonly options: StateCacheOptions<S>) {}

  /**
   * The best remembered position for this request: an exact one, else the latest one at most
   * `maxAdvance` characters before the cursor whose text leads to it.
   */
  find(doc: string, window: string, offset: number, maxAdvance: number): StateMatch<S> | undefined {
    const entries = this.docs.get(doc);
    if (!entries) return undefined;
    this.touch(doc, entries);
    let best: Entry<S> | undefined;
    for (const e of entries) {
      const n = offset - e.offset;
      if (n < 0 || n > maxAdvance) continue;
      if (best && e.offset <= best.offset) continue;
      if (n === 0 ? e.window === window : leadsTo(e.window, window, n)) best = e;
    }
    if (!best) return undefined;
    const n = offset - best.offset;
    return { state: this.options.copy(best.state), delta: window.slice(window.length - n), from: best.offset };
  }

  /** Remembers a state (the cache keeps it; pass a copy if you go on changing yours). */
  remember(doc: string, window: string, offset: number, state: S): void {
    const entries = this.docs.get(doc) ?? [];
    const same = entries.findIndex((e) => e.offset === offset);
    if (same >= 0) entries.splice(same, 1);
    entries.push({ offset, window, state });
    if (entries.length > this.options.maxPerDocument) entries.splice(0, entries.length - this.options.maxPerDocument);
    this.touch(doc, entries);
    while (this.docs.size > this.options.maxDocuments) {
      const oldest = this.docs.keys().next().value as string;
      this.docs.delete(oldest);
    }
  }

  forget(doc: string): void {
    this.docs.delete(doc);
  }

  clear(): void {
    this.docs.clear();
  }

  get documentCount(): number {
    return this.docs.size;
  }

  private touch(doc: string, entries: Entry<S>[]): void {
    this.docs.delete(doc);
    this.docs.set(doc, entries);
  }
}

/**
 * Whether `window` is `previous` plus `n` typed characters: the window without its last n
 * characters must end `previous`. Windows are bounded from the left, so only that part is compared.
 */
function leadsTo(previous: string, window: string, n: number): boolean {
  const head = window.length - n;
  if (head < 0) return false;
  if (head > previous.length) return false;
  return previous.endsWith(window.slice(0, head));
}
