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
  /** The timer is ref'd: some deadline is pending. */
  private refd = false;

  /** now: the clock (ms), injectable for tests; the one real timer is the global setTimeout, looked up at call time. */
  constructor(private readonly now: () => number = monotonicMs) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const at = Math.ceil((this.now() + ms) / GRANULARITY_MS) * GRANULARITY_MS;
    let bucket = this.buckets.get(at);
    if (!bucket) this.buckets.set(at, (bucket = new Set()));
    const d: Deadline = { fn, bucket, at };
    bucket.add(d);
    if (at < this.armedAt) this.arm(at);
    else if (this.count === 0) this.hold(true);
    this.count++;
    return d;
  }

  clearTimeout(handle: unknown): void {
    const d = handle as Deadline | undefined;
    if (!d || !d.bucket.delete(d)) return;
    if (d.bucket.size === 0 && this.buckets.get(d.at) === d.bucket) this.buckets.delete(d.at);
    if (--this.count === 0) this.hold(false);
  }

  /** The timer keeps the process alive (a deadline is pending); for tests. */
  get holdsProcess(): boolean {
    return this.timer !== undefined && this.refd;
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
