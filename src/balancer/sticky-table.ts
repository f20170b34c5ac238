// Which worker owns a session key (the `stickyKey` option), for all of one
// app's listeners. Bounded, least recently used first out: a flood of new keys
// (every request of a client that never reuses its id) costs at most
// STICKY_TABLE_MAX entries, and an evicted key only loses its stickiness.
// Worker ids are never reused by the master, so an entry whose worker is gone
// simply stops matching a member and is reassigned (balanced-port.ts).

export const STICKY_TABLE_MAX = 65_536;

export class StickyTable {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  private readonly owners = new Map<string, number>();

  constructor(private readonly max = STICKY_TABLE_MAX) {}

  get size(): number {
    return this.owners.size;
  }

  /** The worker that owns `key`, marking it recently used. */
  get(key: string): number | undefined {
    const wid = this.owners.get(key);
    if (wid === undefined) return undefined;
    this.owners.delete(key);
    this.owners.set(key, wid);
    return wid;
  }

  set(key: string, wid: number): void {
    this.owners.delete(key);
    this.owners.set(key, wid);
    if (this.owners.size > this.max) this.owners.delete(this.owners.keys().next().value!);
  }
}
