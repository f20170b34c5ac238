// The master's recent changes, for watchers that come back with sinceRev: a
// ring of the last changes, bounded by count and by their events' bytes.
//
// A ring, not an array shifted at the front: at its bound (10 000 changes,
// which a busy store reaches in seconds) every set dropped the oldest with
// Array.prototype.shift, which moves the whole array's backing store or
// left-trims it, and it kept one { rev, change, bytes } object per change
// beside the change itself: the set path's costliest lines after JSON.parse
// (issue 12, measured with --cpu-prof on the master).
import type { Change } from './wire.js';

export class History {
  private changes: Array<Change | undefined> = [];
  private sizes: number[] = [];
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
    const cap = this.changes.length;
    if (this.count === cap && cap < this.maxChanges + 1) {
      // Grows (doubling, up to one past the bound) only while not full; then the slots are reused.
      this.grow(Math.min(this.maxChanges + 1, Math.max(16, cap * 2)));
    }
    const at = (this.head + this.count) % this.changes.length;
    this.changes[at] = change;
    this.sizes[at] = bytes;
    this.count++;
    this.total += bytes;
    while (this.count > this.maxChanges || this.total > this.maxBytes) this.dropOldest();
  }

  /** The changes after rev `since`, oldest first. */
  *after(since: number): IterableIterator<Change> {
    const n = this.changes.length;
    for (let i = 0; i < this.count; i++) {
      const c = this.changes[(this.head + i) % n]!;
      if (revOf(c) > since) yield c;
    }
  }

  clear(floor: number): void {
    this.changes = [];
    this.sizes = [];
    this.head = 0;
    this.count = 0;
    this.total = 0;
    this.floor = floor;
  }

  private dropOldest(): void {
    const old = this.changes[this.head]!;
    this.total -= this.sizes[this.head]!;
    this.changes[this.head] = undefined;
    this.head = (this.head + 1) % this.changes.length;
    this.count--;
    this.floor = revOf(old);
  }

  private grow(size: number): void {
    const changes: Array<Change | undefined> = new Array(size);
    const sizes: number[] = new Array(size).fill(0);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.changes.length;
      changes[i] = this.changes[from];
      sizes[i] = this.sizes[from]!;
    }
    this.changes = changes;
    this.sizes = sizes;
    this.head = 0;
  }
}

export function revOf(c: Change): number {
  return c.type === 'put' ? c.entry.rev : c.rev;
}
