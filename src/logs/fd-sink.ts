// An append-only file written with fs.write on a descriptor of its own: the
// destination of a RotatingFile (the masters' and the daemon's log files).
// Not fs.createWriteStream: on Node 24 that loads internal/fs/streams and,
// through it, node:fs/promises with readline's interface and the fs watchers
// (~0.5 MB of private memory in every app master, issue 17, docs/daemon.md).
//
// It is the part of a Writable that RotatingFile uses, with a WriteStream's
// contract:
// - the file is opened with flags 'a' and the given mode, asynchronously;
//   writes made before the open completes wait for it;
// - writes land in the order they were made, one fs.write in flight at a
//   time (libuv's pool, never the event loop); a short write is finished
//   before the next one starts;
// - a write's callback runs once its bytes are written, or with the error;
// - write() returns false once the bytes not yet written reach HIGH_WATER
//   (16 KiB, a WriteStream's default), and 'drain' follows once they are all
//   written;
// - a failed open or write calls that write back with its error, emits
//   'error' once and destroys the sink;
// - destroy(): writes not yet started are called back with
//   ERR_STREAM_DESTROYED (as a destroyed Writable does), one in flight with
//   its own outcome; the descriptor is closed once nothing is in flight, then
//   'close';
// - end(cb): after every write made before it, the descriptor is closed, then
//   cb and 'close'.
import { EventEmitter } from 'node:events';
import { close, open, write } from 'node:fs';

export const HIGH_WATER = 16 * 1024;

type WriteCallback = (err?: Error | null) => void;

interface Pending {
  readonly buf: Buffer;
  readonly cb: WriteCallback;
}

function destroyedError(): Error {
  return Object.assign(new Error('the log file was closed before this write'), { code: 'ERR_STREAM_DESTROYED' });
}

export class FdSink extends EventEmitter {
  destroyed = false;
  private fd: number | undefined;
  private opening = true;
  private inflight: Pending | undefined;
  private queue: Pending[] = [];
  /** Bytes handed to write() and not yet written (the one in flight included). */
  private unwritten = 0;
  private needDrain = false;
  private ended = false;
  private endCallbacks: Array<() => void> = [];
  private closed = false;

  constructor(file: string, mode: number) {
    super();
    open(file, 'a', mode, (err, fd) => {
      this.opening = false;
      if (err) return this.fail(err);
      this.fd = fd;
      if (this.destroyed) return this.closeFd();
      this.next();
    });
  }

  write(buf: Buffer, cb: WriteCallback): boolean {
    if (this.destroyed || this.ended) {
      process.nextTick(cb, destroyedError());
      return false;
    }
    this.queue.push({ buf, cb });
    this.unwritten += buf.length;
    const ok = this.unwritten < HIGH_WATER;
    if (!ok) this.needDrain = true;
    this.next();
    return ok;
  }

  end(cb?: () => void): void {
    if (cb) this.endCallbacks.push(cb);
    this.ended = true;
    if (this.closed) return this.runEndCallbacks();
    this.next();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const waiting = this.queue;
    this.queue = [];
    for (const p of waiting) {
      this.unwritten -= p.buf.length;
      process.nextTick(p.cb, destroyedError());
    }
    if (!this.inflight && !this.opening) this.closeFd();
  }

  private next(): void {
    if (this.inflight || this.opening || this.destroyed) return;
    const head = this.queue.shift();
    if (head === undefined) {
      if (this.needDrain) {
        this.needDrain = false;
        this.emit('drain');
      }
      if (this.ended) this.closeFd();
      return;
    }
    this.inflight = head;
    this.writeFrom(head, 0);
  }

  private writeFrom(p: Pending, offset: number): void {
    write(this.fd!, p.buf, offset, p.buf.length - offset, null, (err, n) => {
      if (!err && offset + n < p.buf.length && !this.destroyed) return this.writeFrom(p, offset + n);
      this.inflight = undefined;
      this.unwritten -= p.buf.length;
      if (err) {
        p.cb(err);
        return this.fail(err);
      }
      p.cb(offset + n < p.buf.length ? destroyedError() : null);
      if (this.destroyed) return this.closeFd();
      this.next();
    });
  }

  private fail(err: Error): void {
    if (this.destroyed) return this.closeFd();
    this.emit('error', err);
    this.destroy();
  }

  private closeFd(): void {
    if (this.closed) return;
    this.closed = true;
    const done = () => {
      this.runEndCallbacks();
      this.emit('close');
    };
    if (this.fd === undefined) return process.nextTick(done);
    close(this.fd, () => done());
    this.fd = undefined;
  }

  private runEndCallbacks(): void {
    const cbs = this.endCallbacks;
    this.endCallbacks = [];
    for (const cb of cbs) cb();
  }
}
