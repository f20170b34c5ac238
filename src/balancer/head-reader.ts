// The master reads the first bytes of a connection before it hands it over
// (the `stickyKey` option), as @socket.io/sticky does for Node's cluster; the
// bytes travel with the handle and the worker puts them back in front of the
// stream (worker/preload-runtime.ts deliver()), so the app sees the whole
// request.
//
// Quirks of reading through a net.Socket wrapped around the raw handle:
// - allowHalfOpen: a client that sends its request and then FIN must not get
//   a FIN back from the master (net ends the write side on EOF otherwise);
// - once done, the socket must never read again: Readable's maybeReadMore
//   calls _read() (libuv readStart) on the next tick while its buffer is below
//   the high-water mark, and whatever it read would be lost with the master's
//   copy of the fd. _read becomes a no-op and reading stops before the handle
//   is handed over; the socket object is dropped (closing the raw handle after
//   the hand-off is in-flight.ts's job, as for any other connection).
import net from 'node:net';
import { headComplete, STICKY_HEAD_MAX_BYTES, type StickyKeySpec } from './sticky-key.js';

/** How long the master waits for a request head before it hands the connection over as is. */
export const STICKY_HEAD_DEADLINE_MS = 1000;
/** Heads read at once; beyond this, connections are handed over unread (placed by the normal strategy). */
export const STICKY_MAX_READING = 4096;

const heads = new WeakMap<object, Buffer>();
let reading = 0;

/** The bytes already read from this connection, which the receiving worker must see first. */
export function headOf(handle: object): Buffer | undefined {
  return heads.get(handle);
}

export function attachHead(handle: object, head: Buffer): void {
  if (head.length > 0) heads.set(handle, head);
}

interface RawStream {
  readStop?(): number;
  close(cb?: () => void): void;
}

/**
 * Reads until the head holds what `spec` needs, STICKY_HEAD_MAX_BYTES, EOF or
 * the deadline, then calls `done` with the handle (its head attached). A
 * connection that errors or closes meanwhile is closed and `done` is not called.
 */
export function readHead(handle: RawStream, spec: StickyKeySpec, done: (handle: RawStream) => void, deadlineMs = STICKY_HEAD_DEADLINE_MS): void {
  if (reading >= STICKY_MAX_READING) return done(handle);
  reading++;
  let socket: net.Socket;
  try {
    // `handle` is how net.Server wraps an accepted connection (not in @types/node).
    socket = new net.Socket({ handle, readable: true, writable: true, allowHalfOpen: true } as net.SocketConstructorOpts);
  } catch {
    reading--;
    return done(handle);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const timer = setTimeout(() => finish(true), deadlineMs).unref();
  const finish = (ok: boolean) => {
    if (finished) return;
    finished = true;
    reading--;
    clearTimeout(timer);
    socket.removeAllListeners();
    // Late errors on the detached socket object must not become uncaught.
    socket.on('error', () => {});
    if (!ok) return void socket.destroy();
    (socket as unknown as { _read: () => void })._read = () => {};
    handle.readStop?.();
    socket.pause();
    for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) chunks.push(chunk);
    attachHead(handle, Buffer.concat(chunks));
    done(handle);
  };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= STICKY_HEAD_MAX_BYTES || headComplete(size === chunk.length ? chunk : Buffer.concat(chunks), spec)) finish(true);
  });
  socket.on('end', () => finish(true));
  socket.on('error', () => finish(false));
  socket.on('close', () => finish(false));
}
