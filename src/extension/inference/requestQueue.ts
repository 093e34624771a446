/**
 * Requests waiting in the inference process. Only the newest request of a document matters: a new
 * one drops the older ones still waiting and cancels the one running. Requests without a document
 * (generation, samples) are never superseded, only cancelled by id.
 */

export interface Queued {
  id: number;
  /** The document it completes in; undefined for requests that nothing supersedes. */
  doc?: string;
}

export class RequestQueue<T extends Queued> {
  private readonly waiting: T[] = [];
  private running: T | undefined;
  private readonly cancelled = new Set<number>();

  /** Queues `request`; returns the waiting requests it supersedes (to be answered as stale). */
  push(request: T): T[] {
    const stale: T[] = [];
    if (request.doc !== undefined) {
      for (let k = this.waiting.length - 1; k >= 0; k--) {
        if (this.waiting[k].doc === request.doc) stale.push(...this.waiting.splice(k, 1));
      }
      if (this.running?.doc === request.doc) this.cancelled.add(this.running.id);
    }
    this.waiting.push(request);
    return stale.reverse();
  }

  /** Cancels by id: a waiting request is removed and returned; a running one is flagged. */
  cancel(id: number): T | undefined {
    const k = this.waiting.findIndex((r) => r.id === id);
    if (k >= 0) return this.waiting.splice(k, 1)[0];
    if (this.running?.id === id) this.cancelled.add(id);
    return undefined;
  }

  /** Takes the next request to run (it becomes the running one). */
  take(): T | undefined {
    this.running = this.waiting.shift();
    return this.running;
  }

  /** Marks the running request finished. */
  finish(request: T): void {
    if (this.running === request) this.running = undefined;
    this.cancelled.delete(request.id);
  }

  /** Whether the running request should stop (cancelled, or superseded by a newer one). */
  isCancelled(id: number): boolean {
    return this.cancelled.has(id);
  }

  get size(): number {
    return this.waiting.length;
  }
}
