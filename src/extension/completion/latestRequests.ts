/**
 * Which request is the newest per key (document). An answer to an older request is stale: the
 * user has typed since, so it must not be shown even if it arrives.
 */
export class LatestRequests {
  private readonly latest = new Map<string, number>();
  private next = 1;

  /** Starts a request for `key`; every earlier one for `key` becomes stale. */
  begin(key: string): number {
    const ticket = this.next++;
    this.latest.set(key, ticket);
    return ticket;
  }

  isLatest(key: string, ticket: number): boolean {
    return this.latest.get(key) === ticket;
  }

  /** Forgets `key` if `ticket` is still its newest request (keeps the map small). */
  end(key: string, ticket: number): void {
    if (this.latest.get(key) === ticket) this.latest.delete(key);
  }

  forget(key: string): void {
    this.latest.delete(key);
  }
}
