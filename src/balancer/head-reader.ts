// The master reads the first bytes of a connection before it hands it over
// (the `stickyKey` option), as @socket.io/sticky does for Node's cluster; the
// bytes travel with the handle and the worker puts them back in front of the
// stream (worker/preload-runtime.ts deliver()), so the app sees the whole
// request.
//
// The head is read with the raw handle's own onread, not through a net.Socket
// wrapped around it: a Socket per connection (stream state, five listeners, its
// teardown) was most of what --sticky-key cost the master per connection.
// Quirks of libuv's stream handles (TCPWrap / PipeWrap), which Node's
// stream_base_commons.js onStreamRead relies on too:
// - onread(arrayBuffer) gets exactly the bytes read (the backing store is
//   shrunk to nread before the call, offset 0); EOF and errors come as
//   onread(undefined), told apart only by internal state. Both end the read:
//   the connection is handed over with what was read, and the worker's socket
//   meets the EOF or the error itself (the kernel keeps either for it);
// - nothing is written and nothing ends on EOF (no allowHalfOpen dance: a
//   client that sends its request and then FIN keeps its write side);
// - readStop() before the hand-off: whatever the master read after it would
//   be lost with the master's copy of the fd. The handle keeps our onread
//   (never called again) until in-flight.ts closes the master's copy.
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
  readStart?(): number;
  readStop?(): number;
  onread?: (data: ArrayBuffer | undefined) => void;
  close(cb?: () => void): void;
}

/**
 * Reads until the head holds what `spec` needs, STICKY_HEAD_MAX_BYTES, EOF or
 * the deadline, then calls `done` with the handle (its head attached). A
 * connection that errors or ends meanwhile is handed over with what was read
 * (its worker meets the error or the EOF); one that cannot be read, unread.
 */
export function readHead(handle: RawStream, spec: StickyKeySpec, done: (handle: RawStream) => void, deadlineMs = STICKY_HEAD_DEADLINE_MS): void {
  if (reading >= STICKY_MAX_READING || typeof handle.readStart !== 'function') return done(handle);
  let head: Buffer | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    reading--;
    clearTimeout(timer);
    handle.readStop?.();
    if (head) attachHead(handle, head);
    done(handle);
  };
  handle.onread = (data) => {
    if (finished) return;
    if (data === undefined) return finish();
    const chunk = Buffer.from(data);
    // Almost always one chunk: the head fits one segment.
    head = head ? Buffer.concat([head, chunk]) : chunk;
    if (head.length >= STICKY_HEAD_MAX_BYTES || headComplete(head, spec)) finish();
  };
  if (handle.readStart() !== 0) return done(handle);
  reading++;
  const timer = setTimeout(finish, deadlineMs).unref();
}
