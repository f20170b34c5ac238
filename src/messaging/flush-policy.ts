// When a corked burst of frames is written before the end of its tick (issue
// 17). Both ends cork what they write in one turn of the loop and flush it in
// one writev (hub-flow.ts, hub-client.ts); with many requests in flight that
// makes the two processes take turns: the receiver idles while the sender
// serialises the whole burst, then the sender idles while it answers. A frame
// that went through a serialiser (JSON or v8: the records case) costs the
// receiver as much to decode as it cost to encode, so after SERIALISED_PER_WRITE
// of them the burst so far is written at once and the receiver starts on it
// while the rest is encoded. Text and byte frames cost ~1 µs each, less than
// waking the receiver: they do not count, and leave once per tick as before.
// Measured (A/B, 30 interleaved pairs, load 10-16 on 2 cores, records 1 KB x
// 32 in flight): every 8 serialised frames 1.06-1.12x the round trips/s of one
// writev per tick, at no more CPU per round trip; every 4: 0.90x (more
// wake-ups); every 16: 1.06x. Counting text frames too cost text 1 KB x 32
// 0.82x, hence the rule above.
import type net from 'node:net';
import { FLAG_BYTES, FLAG_PAYLOAD, FLAG_TEXT } from './frame.js';

export const SERIALISED_PER_WRITE = 8;

/** The frame's payload went through JSON or v8 (flags at byte 6, frame.ts). */
export function serialisedFrame(frame: Buffer): boolean {
  const flags = frame[6]!;
  return (flags & FLAG_PAYLOAD) !== 0 && (flags & (FLAG_TEXT | FLAG_BYTES)) === 0;
}

/**
 * After frame was written to a corked socket: the serialised frames corked
 * since the last flush, counted on from count; at SERIALISED_PER_WRITE the
 * part is flushed (the socket stays corked for the rest of the tick) and 0
 * returned. Both ends call it (hub-flow.ts, hub-client.ts).
 */
export function countCorked(socket: net.Socket, frame: Buffer, count: number): number {
  if (!serialisedFrame(frame)) return count;
  if (++count < SERIALISED_PER_WRITE) return count;
  socket.uncork();
  socket.cork();
  return 0;
}
