// Request timeouts for the message hub and the workers' hub clients: one
// timer for many deadlines, instead of a setTimeout (and a clearTimeout) per
// request. Deadlines are rounded up to GRANULARITY_MS, so a request times out
// up to that much late; it is never early. Plugs into PendingRequests as its
// Timers (rpc.ts), which stays unaware of it.
//
// The one timer is ref'd while any deadline is pending, as a setTimeout per
// request was, and cleared as soon as none is: a process whose requests have
// all been answered exits as before.
import { performance } from 'node:perf_hooks';
import type { Timers } from './rpc.js';

export const GRANULARITY_MS = 20;

interface Deadline {
  readonly fn: () => void;
  readonly bucket: Set<Deadline>;
  readonly at: number;
}

export class DeadlineWheel implements Timers {
  /** Deadlines by their rounded time; few distinct keys, since most requests share a timeout. */
  private readonly buckets = new Map<number, Set<Deadline>>();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  /** now: the clock (ms), injectable for tests; the one real timer is the global setTimeout, looked up at call time. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const at = Math.ceil((this.now() + ms) / GRANULARITY_MS) * GRANULARITY_MS;
    let bucket = this.buckets.get(at);
    if (!bucket) this.buckets.set(at, (bucket = new Set()));
    const d: Deadline = { fn, bucket, at };
    bucket.add(d);
    this.count++;
    if (at < this.armedAt) this.arm(at);
    return d;
  }

  clearTimeout(handle: unknown): void {
    const d = handle as Deadline | undefined;
    if (!d || !d.bucket.delete(d)) return;
    if (d.bucket.size === 0 && this.buckets.get(d.at) === d.bucket) this.buckets.delete(d.at);
    if (--this.count === 0) this.disarm();
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - this.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    const due: Deadline[] = [];
    let next = Infinity;
    for (const [at, bucket] of this.buckets) {
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.buckets.delete(at);
      for (const d of bucket) due.push(d);
      bucket.clear();
    }
    this.count -= due.length;
    // Armed before the callbacks run: one of them may set (or clear) deadlines of its own.
    if (next < Infinity) this.arm(next);
    for (const d of due) d.fn();
  };
}
