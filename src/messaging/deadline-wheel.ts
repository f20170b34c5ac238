// Request timeouts for the message hub and the workers' hub clients: one
// timer for many deadlines, instead of a setTimeout (and a clearTimeout) per
// request. Deadlines are rounded up to GRANULARITY_MS, so a request times out
// up to that much late; it is never early. Plugs into PendingRequests as its
// Timers (rpc.ts), which stays unaware of it.
//
// The one timer is ref'd while any deadline is pending, as a setTimeout per
// request was, and unref'd as soon as none is: a process whose requests have
// all been answered exits as before. It is kept (not cleared) while idle, so a
// process making one request at a time does not remove and re-insert a Node
// timer per request (the next deadline is later than the one it is armed for,
// so it only refs it again); when it fires with nothing due it is simply gone.
import { monotonicMs } from '../platform/clock.js';
import type { Timers } from './rpc.js';

export const GRANULARITY_MS = 20;

/**
 * One rounded time's deadlines, a doubly linked list through the deadlines
 * themselves: inserting and clearing one touch no hash table (a Set per bucket
 * hashed each deadline's identity twice per request; issue 17).
 */
interface Bucket {
  readonly at: number;
  head: Deadline | undefined;
  size: number;
}

interface Deadline {
  readonly fn: () => void;
  /** undefined once cleared or fired. */
  bucket: Bucket | undefined;
  prev: Deadline | undefined;
  next: Deadline | undefined;
}

export class DeadlineWheel implements Timers {
  /** Non-empty buckets by their rounded time (few keys: most requests share a timeout), and the newest bucket even when empty. */
  private readonly buckets = new Map<number, Bucket>();
  /**
   * The bucket the last deadline went into. It stays in the map when it
   * empties, so a process with one request at a time reuses it for every
   * request in the same GRANULARITY_MS instead of adding and deleting a key
   * per request; it is dropped when a newer one replaces it or it falls due.
   * Empty buckets never arm the timer.
   */
  private newest: Bucket | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  /** The timer is ref'd: some deadline is pending. */
  private refd = false;

  /** now: the clock (ms), injectable for tests; the one real timer is the global setTimeout, looked up at call time. */
  constructor(private readonly now: () => number = monotonicMs) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const at = Math.ceil((this.now() + ms) / GRANULARITY_MS) * GRANULARITY_MS;
    const bucket = this.newest !== undefined && this.newest.at === at ? this.newest : this.bucketAt(at);
    const d: Deadline = { fn, bucket, prev: undefined, next: bucket.head };
    if (bucket.head !== undefined) bucket.head.prev = d;
    bucket.head = d;
    bucket.size++;
    if (at < this.armedAt) this.arm(at);
    else if (this.count === 0) this.hold(true);
    this.count++;
    return d;
  }

  clearTimeout(handle: unknown): void {
    const d = handle as Deadline | undefined;
    const bucket = d?.bucket;
    if (bucket === undefined) return;
    unlink(bucket, d!);
    if (bucket.size === 0 && bucket !== this.newest) this.buckets.delete(bucket.at);
    if (--this.count === 0) this.hold(false);
  }

  /** The timer keeps the process alive (a deadline is pending); for tests. */
  get holdsProcess(): boolean {
    return this.timer !== undefined && this.refd;
  }

  private bucketAt(at: number): Bucket {
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = { at, head: undefined, size: 0 };
      this.buckets.set(at, bucket);
      const old = this.newest;
      if (old !== undefined && old.size === 0 && old.at < at) this.buckets.delete(old.at);
    }
    if (this.newest === undefined || at >= this.newest.at) this.newest = bucket;
    return bucket;
  }

  private hold(on: boolean): void {
    if (this.timer === undefined) return;
    this.refd = on;
    if (on) this.timer.ref();
    else this.timer.unref();
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - this.now()));
    this.refd = true;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    const due: Deadline[] = [];
    let next = Infinity;
    for (const [at, bucket] of this.buckets) {
      if (at > now) {
        if (bucket.size > 0) next = Math.min(next, at);
        continue;
      }
      this.buckets.delete(at);
      if (bucket === this.newest) this.newest = undefined;
      for (let d = bucket.head; d !== undefined; d = d.next) {
        d.bucket = undefined;
        due.push(d);
      }
      bucket.head = undefined;
      bucket.size = 0;
    }
    this.count -= due.length;
    // Armed before the callbacks run: one of them may set (or clear) deadlines of its own.
    if (next < Infinity) this.arm(next);
    for (const d of due) d.fn();
  };
}

function unlink(bucket: Bucket, d: Deadline): void {
  if (d.prev !== undefined) d.prev.next = d.next;
  else bucket.head = d.next;
  if (d.next !== undefined) d.next.prev = d.prev;
  d.bucket = d.prev = d.next = undefined;
  bucket.size--;
}
