// Requests waiting for their reply, by seq: the one place that decides when a
// request ends (reply, error, timeout, or its receiver gone), for the message
// hub, the worker's messaging port and the control protocol's client. Pure apart from
// the timers, which are injected, so it is tested with a fake clock.
//
// Node's lib/internal/cluster/utils.js keeps its callbacks in a plain object
// and never rejects them when a worker dies: a request to a dead worker waits
// for ever. Here every pending request carries a tag (the connection it went
// to) and rejectTag() ends all of a dead receiver's requests at once.
import { DroverError } from '../errors.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Looks the globals up at call time, so node:test's mock.timers applies. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RequestInfo<Tag> {
  /** For error messages: e.g. "request 'cache.get' to worker 2". */
  readonly what: string;
  /** ms; 0 or Infinity: no timeout. */
  readonly timeoutMs: number;
  readonly tag: Tag;
  /** The request's topic, for the error when its receiver goes away. */
  readonly topic?: string;
  /** The error a timeout rejects with; default DROVER_E_MSG_TIMEOUT (a messaging handler is slow). */
  readonly timeoutError?: () => Error;
}

interface Entry<Tag> {
  readonly info: RequestInfo<Tag>;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

/**
 * What a settled entry keeps instead of its promise's functions. An entry can
 * outlive its request unseen: while an object V8 has already promoted points at
 * it (dead, but not swept until the next full collection; which object was not
 * pinned down: a Map's earlier hash table and the cleared timer are candidates),
 * every young-generation collection counts it as live, and through these
 * functions the promise and the value it settled with. With 64 KB reply strings
 * (text, 32 in flight) that made the master's scavenges copy and promote about
 * half of all replies: 58-61 MB promoted of 100-160 MB allocated in 3 s, 9 MB
 * once the entry lets go (--trace-gc-nvp); round trips/s 3.0-3.8x, and with
 * records at 32 in flight 1.25x (1 KB) and 1.29x (64 KB), paired runs.
 */
const settled = (): void => {};

/** Settles a taken entry, which lets go of its functions first (see settled). */
function fulfil<Tag>(entry: Entry<Tag>, value: unknown): void {
  const resolve = entry.resolve;
  entry.resolve = entry.reject = settled;
  entry.timer = undefined;
  resolve(value);
}

function fail<Tag>(entry: Entry<Tag>, err: Error): void {
  const reject = entry.reject;
  entry.resolve = entry.reject = settled;
  entry.timer = undefined;
  reject(err);
}

const SEQ_LIMIT = 0x1_0000_0000;

/** Where capture() leaves the functions of the promise it was called for (read at once, before anything else runs). */
const captured: { resolve: (value: unknown) => void; reject: (err: Error) => void } = { resolve: () => {}, reject: () => {} };
function capture(resolve: (value: never) => void, reject: (err: Error) => void): void {
  captured.resolve = resolve as (value: unknown) => void;
  captured.reject = reject;
}

export class PendingRequests<Tag = unknown> {
  private readonly pending = new Map<number, Entry<Tag>>();
  private lastSeq = 0;

  constructor(
    private readonly timers: Timers = realTimers,
    /** Called after a timeout settled a request (the other ways to settle are the caller's own calls). */
    private readonly onTimeout?: () => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  has(seq: number): boolean {
    return this.pending.has(seq);
  }

  /** The next free seq: u32, never 0, never one still pending (after 2^32 requests it wraps). */
  nextSeq(): number {
    do {
      this.lastSeq = (this.lastSeq + 1) % SEQ_LIMIT;
    } while (this.lastSeq === 0 || this.pending.has(this.lastSeq));
    return this.lastSeq;
  }

  /** Registers a request sent with `seq`; the promise settles exactly once. */
  add<T = unknown>(seq: number, info: RequestInfo<Tag>): Promise<T> {
    if (this.pending.has(seq)) return Promise.reject(new DroverError('DROVER_E_INTERNAL', `seq ${seq} is already pending`));
    // One executor for every promise (it hands its functions out through two variables): no closure per request.
    const promise = new Promise<T>(capture);
    const entry: Entry<Tag> = { info, resolve: captured.resolve, reject: captured.reject, timer: undefined };
    // Nor does the module keep the last request's promise (and its reply) until the next request.
    captured.resolve = captured.reject = settled;
    if (info.timeoutMs > 0 && Number.isFinite(info.timeoutMs)) entry.timer = this.timers.setTimeout(() => this.expire(seq, entry), info.timeoutMs);
    this.pending.set(seq, entry);
    return promise;
  }

  private expire(seq: number, entry: Entry<Tag>): void {
    if (this.pending.get(seq) !== entry) return;
    this.pending.delete(seq);
    const info = entry.info;
    fail(
      entry,
      info.timeoutError?.() ??
        new DroverError('DROVER_E_MSG_TIMEOUT', `${info.what} got no reply within ${info.timeoutMs} ms: the handler is slow or stuck; raise { timeoutMs } if it needs longer`, {
          timeoutMs: info.timeoutMs,
        }),
    );
    this.onTimeout?.();
  }

  /** The tag of a pending request (e.g. where its progress events go). */
  tagOf(seq: number): Tag | undefined {
    return this.pending.get(seq)?.info.tag;
  }

  resolve(seq: number, value: unknown): boolean {
    const entry = this.take(seq);
    if (!entry) return false;
    fulfil(entry, value);
    return true;
  }

  reject(seq: number, err: Error | ((info: RequestInfo<Tag>) => Error)): boolean {
    const entry = this.take(seq);
    if (!entry) return false;
    fail(entry, typeof err === 'function' ? err(entry.info) : err);
    return true;
  }

  /** Rejects every request sent to `tag` (its receiver died or disconnected); returns how many. */
  rejectTag(tag: Tag, makeError: (info: RequestInfo<Tag>) => Error): number {
    let n = 0;
    for (const [seq, entry] of this.pending) {
      if (entry.info.tag !== tag) continue;
      this.take(seq);
      fail(entry, makeError(entry.info));
      n++;
    }
    return n;
  }

  rejectAll(makeError: (info: RequestInfo<Tag>) => Error): number {
    const entries = [...this.pending.values()];
    for (const entry of entries) this.timers.clearTimeout(entry.timer);
    this.pending.clear();
    for (const entry of entries) fail(entry, makeError(entry.info));
    return entries.length;
  }

  private take(seq: number): Entry<Tag> | undefined {
    const entry = this.pending.get(seq);
    if (!entry) return undefined;
    this.pending.delete(seq);
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    return entry;
  }
}
