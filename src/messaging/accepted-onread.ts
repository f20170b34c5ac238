// net's `onread` (reads land in a buffer the caller owns: no Buffer,
// ArrayBuffer or stream 'data' event per read) for a socket a server
// accepted. Node offers the option only to sockets it connects
// (net.connect, new net.Socket); an accepted socket is built by net.Server
// without it. Here it is switched on the way net.Socket's constructor does
// for `onread`: the socket's own kBuffer/kBufferCb fields and its handle's
// useUserBuffer(). From then on Node's onStreamRead hands each read to the
// callback, and pause()/resume() stop and start reading as with `onread`.
//
// Why: on this VM every 64 KB chunk Node allocates for a 'data' event costs
// fresh pages (10-200 µs each under load, against ~1-3 µs to copy 64 KB into
// memory already touched), and at 64 KB x 32 in flight the master read two of
// them per message. Those fields are Node internals (the same in Node 20 and
// 24): anything missing and it returns false, and the caller reads 'data'
// events as before (test/unit/messaging-accepted-onread.test.js fails if a
// Node version takes the fallback, so it is noticed, not silently slower).
import type net from 'node:net';

type OnRead = (nread: number, buf: Buffer) => boolean | void;

interface Internals {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void; reading?: boolean } | null;
}

function symbolOf(socket: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(socket).find((s) => s.description === description);
}

/**
 * Makes socket's reads land in buffer and go to onRead (nread, buffer);
 * returning false pauses the socket. Bytes the socket read before this call
 * (a connection accepted while its reader was still loading) are returned, for
 * the caller to handle first. undefined: not possible on this Node; the socket
 * is untouched and the caller reads 'data' events.
 */
export function readInto(socket: net.Socket, buffer: Buffer, onRead: OnRead): { pending: Buffer | null } | undefined {
  const handle = (socket as unknown as Internals)._handle;
  const kBuffer = symbolOf(socket, 'kBuffer');
  const kBufferCb = symbolOf(socket, 'kBufferCb');
  const kBufferGen = symbolOf(socket, 'kBufferGen');
  if (!handle || typeof handle.useUserBuffer !== 'function' || !kBuffer || !kBufferCb || !kBufferGen) return undefined;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[kBuffer] !== null || fields[kBufferCb] !== null) return undefined;
  // What the stream buffered before the switch ('data' was never listened to): handed back, read once.
  const pending = socket.readableLength > 0 ? (socket.read() as Buffer | null) : null;
  fields[kBuffer] = buffer;
  fields[kBufferCb] = onRead;
  fields[kBufferGen] = null;
  handle.useUserBuffer(buffer);
  // Reading may have stopped while the stream's buffer was full: resume() starts it again (onread's path).
  socket.resume();
  return { pending };
}
