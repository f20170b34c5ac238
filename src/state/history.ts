// The master's recent changes, for watchers that come back with sinceRev: a
// ring of the last changes, bounded by count and by their events' bytes.
//
// A ring, not an array shifted at the front: at its bound (10 000 changes,
// which a busy store reaches in seconds) every set dropped the oldest with
// Array.prototype.shift, which moves the whole array's backing store or
// left-trims it, and it kept one { rev, change, bytes } object per change
// beside the change itself: the set path's costliest lines after JSON.parse
// (issue 12, measured with --cpu-prof on the master).
//
// Kept by column, not as the changes' objects: a change lives here for up to
// 10 000 writes, so whatever it holds survives the young generation and is
// copied and promoted by the scavenges, the master's main GC cost during a
// run of sets (issue 12). Its key and value text are kept (the key's string
// is the table's own when the key was there already, server.ts writeLocal),
// its numbers in typed arrays; the Change objects are made again on replay.
import type { Change } from './wire.js';

export class History {
  private keys: string[] = [];
  /** The value's JSON text of a put; undefined: a delete. */
  private jsons: Array<string | undefined> = [];
  private versions = new Float64Array(0);
  private revs = new Float64Array(0);
  private sizes = new Float64Array(0);
  /** Index of the oldest change, and how many there are. */
  private head = 0;
  private count = 0;
  private total = 0;
  /** The oldest rev the history can replay from (a watcher with sinceRev below it gets a reset). */
  floor = 0;

  constructor(
    private readonly maxChanges: number,
    private readonly maxBytes: number,
  ) {}

  get bytes(): number {
    return this.total;
  }

  /** Changes come in rev order; the oldest go once over either bound. */
  push(change: Change, bytes: number): void {
    const cap = this.revs.length;
    if (this.count === cap && cap < this.maxChanges + 1) {
      // Grows (doubling, up to one past the bound) only while not full; then the slots are reused.
      this.grow(Math.min(this.maxChanges + 1, Math.max(16, cap * 2)));
    }
    const at = (this.head + this.count) % this.revs.length;
    if (change.type === 'put') {
      const e = change.entry;
      this.keys[at] = e.key;
      this.jsons[at] = e.json;
      this.versions[at] = e.version;
      this.revs[at] = e.rev;
    } else {
      this.keys[at] = change.key;
      this.jsons[at] = undefined;
      this.revs[at] = change.rev;
    }
    this.sizes[at] = bytes;
    this.count++;
    this.total += bytes;
    while (this.count > this.maxChanges || this.total > this.maxBytes) this.dropOldest();
  }

  /** The changes after rev `since`, oldest first. */
  *after(since: number): IterableIterator<Change> {
    const n = this.revs.length;
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) % n;
      const rev = this.revs[at]!;
      if (rev <= since) continue;
      const key = this.keys[at]!;
      const json = this.jsons[at];
      yield json === undefined ? { type: 'del', key, rev } : { type: 'put', entry: { key, json, version: this.versions[at]!, rev } };
    }
  }

  clear(floor: number): void {
    this.keys = [];
    this.jsons = [];
    this.versions = new Float64Array(0);
    this.revs = new Float64Array(0);
    this.sizes = new Float64Array(0);
    this.head = 0;
    this.count = 0;
    this.total = 0;
    this.floor = floor;
  }

  private dropOldest(): void {
    const at = this.head;
    this.total -= this.sizes[at]!;
    this.floor = this.revs[at]!;
    this.keys[at] = undefined!;
    this.jsons[at] = undefined;
    this.head = (at + 1) % this.revs.length;
    this.count--;
  }

  private grow(size: number): void {
    const keys: string[] = new Array(size);
    const jsons: Array<string | undefined> = new Array(size);
    const versions = new Float64Array(size);
    const revs = new Float64Array(size);
    const sizes = new Float64Array(size);
    const n = this.revs.length;
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % n;
      keys[i] = this.keys[from]!;
      jsons[i] = this.jsons[from];
      versions[i] = this.versions[from]!;
      revs[i] = this.revs[from]!;
      sizes[i] = this.sizes[from]!;
    }
    this.keys = keys;
    this.jsons = jsons;
    this.versions = versions;
    this.revs = revs;
    this.sizes = sizes;
    this.head = 0;
  }
}

export function revOf(c: Change): number {
  return c.type === 'put' ? c.entry.rev : c.rev;
}
