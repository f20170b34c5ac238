// The hub's flow control: each connection's outgoing queue is bounded
// (maxQueueBytes, the socket's own buffer); a sender whose receiver is full
// stops being read (block) until that queue drains, and a connection over its
// rate (rateLimit frames/s, token-bucket.ts) is paused until its next token.
// Writes are corked and flushed once per tick (or when the read that made
// them has been handled: a reply leaves without waiting for the tick's end),
// so many small frames leave in one writev (a long burst of serialised frames in parts of
// SERIALISED_PER_WRITE, flush-policy.ts); writeNow (the state store's pushes) sends to an idle connection
// at once and corks only what follows it in the tick.
import { ownCopy } from './frame-reader.js';
import { countCorked } from './flush-policy.js';
import type { Conn } from './hub-conn.js';

export interface FlowOptions {
  readonly maxQueueBytes: number;
  /** Frames/s per connection; 0: unlimited. */
  readonly rateLimit: number;
}

export interface FlowHooks {
  /** Reads a connection's frames again (after unblock). */
  pump(c: Conn): void;
  /** A connection is over its rate: log and strike (at most once a second, the bucket decides). */
  flood(c: Conn): void;
}

export class HubFlow {
  private readonly corkedConns: Conn[] = [];
  private flushScheduled = false;
  /** A connection's read is being handled: what it writes is flushed by endRead(), not at the end of the tick. */
  private reading = false;

  constructor(
    private readonly options: FlowOptions,
    private readonly hooks: FlowHooks,
  ) {}

  /** The connection's outgoing queue is at its bound. */
  full(c: Conn): boolean {
    return c.socket.writableLength >= this.options.maxQueueBytes;
  }

  block(c: Conn): void {
    if (c.blocked) return;
    c.blocked = true;
    c.socket.pause();
  }

  unblock(c: Conn): void {
    if (!c.blocked || c.closed) return;
    c.blocked = false;
    c.socket.resume();
    this.hooks.pump(c);
  }

  /** Stops reading from c until target's queue drains (or target closes); false: the frame is held. */
  waitForDrain(target: Conn, c: Conn): false {
    this.block(c);
    target.drainWaiters.add(c.resume);
    return false;
  }

  drained(c: Conn): void {
    if (c.drainWaiters.size === 0) return;
    const waiters = [...c.drainWaiters];
    c.drainWaiters.clear();
    for (const fn of waiters) fn();
  }

  /** rateLimit frames/s (token-bucket.ts); a connection over it is paused until its next token. */
  takeToken(c: Conn): boolean {
    if (!c.bucket || c.bucket.take()) return true;
    if (c.bucket.reportDue()) this.hooks.flood(c);
    this.block(c);
    setTimeout(() => this.unblock(c), c.bucket.waitMs()).unref();
    return false;
  }

  /**
   * A frame that is a small part of a large socket chunk is copied before it
   * is queued for another connection, so a queued 30-byte frame cannot keep a
   * 64 KB chunk alive: queued bytes stay within twice what is accounted.
   */
  own(frame: Buffer): Buffer {
    return frame.buffer.byteLength <= 2 * frame.length ? frame : ownCopy(frame);
  }

  /** Writes are corked and flushed once per tick: many small frames leave in one writev. */
  write(c: Conn, buf: Buffer): void {
    if (c.closed) return;
    if (!c.corked) this.cork(c);
    c.socket.write(buf);
    // A long burst of serialised frames leaves in parts, so the receiver starts on it (flush-policy.ts).
    c.serialisedCorked = countCorked(c.socket, buf, c.serialisedCorked);
  }

  /** Corked until the end of this tick, or of the read being handled. */
  private cork(c: Conn): void {
    c.corked = true;
    c.serialisedCorked = 0;
    c.socket.cork();
    this.corkedConns.push(c);
    if (!this.flushScheduled && !this.reading) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Around the handling of one read (hub.ts): the frames it writes leave together when it is done. */
  beginRead(): void {
    this.reading = true;
  }

  endRead(): void {
    this.reading = false;
    if (!this.flushScheduled && this.corkedConns.length > 0) this.flush();
  }

  /**
   * write(), but to an idle connection the frame leaves now, not at the end
   * of the tick (a push whose latency counts: the state store's fan-out);
   * what else is written to it in this tick is corked after it, in order.
   */
  writeNow(c: Conn, buf: Buffer): void {
    if (c.closed) return;
    if (c.corked || c.socket.writableLength > 0) return this.write(c, buf);
    c.socket.write(buf);
    this.cork(c);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const list = this.corkedConns.splice(0);
    for (const c of list) {
      c.corked = false;
      c.socket.uncork();
    }
  };
}
