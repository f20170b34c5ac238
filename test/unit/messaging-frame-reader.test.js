// The reader of frames from one reused read buffer (net's onread, the
// worker's hub client): frames cut at every byte, in one read or many, come
// out whole and in order, and a frame handed out as a view is never one a
// later read overwrites (frames kept past onFrame are owned copies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader } from '../../dist/messaging/frame-reader.js';
import { FrameTooLargeError, HEADER_BYTES, Kind, encodeFrame } from '../../dist/messaging/frame.js';

const frames = [
  encodeFrame({ kind: Kind.send, seq: 1, ack: 0, to: 0, from: -1, topic: 'a' }, 'x'.repeat(10), 'v8'),
  encodeFrame({ kind: Kind.request, seq: 2, ack: 100, to: 0, from: -1, topic: 'topic.b' }, { n: [1, 2, 3] }, 'v8'),
  encodeFrame({ kind: Kind.reply, seq: 0, ack: 2, to: 0, from: -1, topic: '' }, 'é'.repeat(300), 'v8'),
  encodeFrame({ kind: Kind.send, seq: 3, ack: 0, to: 0, from: -1, topic: 'c' }, undefined, 'v8'),
];
const stream = Buffer.concat(frames);

/** Feeds `stream` through one reused buffer in reads of the given sizes; returns copies of the frames as onFrame saw them. */
function readIn(sizes, bufferBytes = 4096) {
  const reader = new FrameReader(1 << 20);
  const buf = Buffer.alloc(bufferBytes);
  const out = [];
  const kept = [];
  let pos = 0;
  for (let i = 0; pos < stream.length; i++) {
    const n = Math.min(sizes[i % sizes.length], stream.length - pos, bufferBytes);
    buf.fill(0xee);
    stream.copy(buf, 0, pos, pos + n);
    pos += n;
    reader.read(buf, n, (frame, owned) => {
      out.push(Buffer.from(frame));
      if (owned) kept.push({ frame, copy: Buffer.from(frame) });
      else assert.equal(frame.buffer, buf.buffer, 'a view is of the read buffer');
      return true;
    });
  }
  // Owned frames are not touched by the reads that came after them.
  for (const k of kept) assert.deepEqual(k.frame, k.copy);
  assert.equal(reader.bufferedBytes, 0);
  return out;
}

test('one read with every frame: all of them, as views, in order', () => {
  assert.deepEqual(readIn([stream.length]), frames);
});

test('reads cut at every byte position, and byte by byte', () => {
  for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(readIn([cut, stream.length]), frames, `cut at ${cut}`);
  assert.deepEqual(readIn([1]), frames);
  assert.deepEqual(readIn([3, 5, 2]), frames);
});

test('a frame larger than the read buffer is assembled across reads', () => {
  const big = encodeFrame({ kind: Kind.send, seq: 9, ack: 0, to: 0, from: -1, topic: 'big' }, 'y'.repeat(10_000), 'v8');
  const reader = new FrameReader(1 << 20);
  const buf = Buffer.alloc(1000);
  const got = [];
  for (let pos = 0; pos < big.length; pos += 1000) {
    const n = Math.min(1000, big.length - pos);
    big.copy(buf, 0, pos, pos + n);
    reader.read(buf, n, (frame, owned) => (got.push({ frame, owned }), true));
  }
  assert.equal(got.length, 1);
  assert.equal(got[0].owned, true);
  assert.deepEqual(got[0].frame, big);
});

test('an oversize or undersize announcement throws before anything is buffered; onFrame false stops the read', () => {
  const reader = new FrameReader(1000);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(64 * 1024 * 1024, 0);
  assert.throws(() => reader.read(head, 8, () => true), FrameTooLargeError);
  const tiny = Buffer.alloc(8);
  tiny.writeUInt32BE(HEADER_BYTES - 10, 0);
  assert.throws(() => new FrameReader(1000).read(tiny, 8, () => true), FrameTooLargeError);
  let n = 0;
  new FrameReader(1 << 20).read(stream, stream.length, () => (n++, false));
  assert.equal(n, 1);
});
