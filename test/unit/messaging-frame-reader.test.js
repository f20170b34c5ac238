// The one frame splitter of both ends (frame-reader.ts): the worker's hub
// client reads into one reused buffer (net's onread), the master's hub reads
// stream chunks. Frames cut at every byte, in one read or many, come out
// whole and in order; a frame handed out as owned is never one a later read
// overwrites; frames larger than the read buffer are assembled (in one kept
// buffer when reuse is on); an oversize or undersize length prefix throws
// before anything is allocated.
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
function readIn(sizes, bufferBytes = 4096, reuse = false) {
  const reader = new FrameReader(1 << 20, reuse);
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
      else if (!reuse) assert.equal(frame.buffer, buf.buffer, 'a view is of the read buffer');
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
  // With the assembly buffer reused: the same frames (every cut frame is a view of one buffer, valid until the next).
  for (let cut = 1; cut < stream.length; cut++) assert.deepEqual(readIn([cut, stream.length], 4096, true), frames, `reuse, cut at ${cut}`);
  assert.deepEqual(readIn([1], 4096, true), frames);
  assert.deepEqual(readIn([7, 1, 300], 4096, true), frames);
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

test('frames larger than the read buffer, one after another: with reuse one kept buffer, without it one owned buffer each', () => {
  const bigs = [70_000, 65_536, 200_000, 66_000].map((n, i) => encodeFrame({ kind: Kind.reply, seq: 0, ack: i + 1, to: 0, from: 0, topic: '' }, 'z'.repeat(n), 'v8'));
  const all = Buffer.concat(bigs);
  for (const reuse of [false, true]) {
    const reader = new FrameReader(1 << 20, reuse);
    const buf = Buffer.alloc(64 * 1024);
    const got = [];
    const backing = new Set();
    for (let pos = 0; pos < all.length; ) {
      const n = Math.min(buf.length, all.length - pos);
      all.copy(buf, 0, pos, pos + n);
      pos += n;
      reader.read(buf, n, (frame, owned) => {
        assert.equal(owned, !reuse);
        backing.add(frame.buffer);
        got.push(Buffer.from(frame));
        return true;
      });
    }
    assert.deepEqual(got, bigs);
    // Reused: the 70 000, 65 536 and 66 000 byte frames share one buffer (128 KiB), the 200 000 byte one grew it once.
    assert.equal(backing.size, reuse ? 2 : 4);
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('stream chunks (the master): push and next, frames owned, a frame within a chunk is a view of it', () => {
  for (let cut = 1; cut < stream.length; cut++) {
    const reader = new FrameReader(1 << 20);
    const out = [];
    for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
      reader.push(part);
      for (let f = reader.next(); f !== undefined; f = reader.next()) {
        assert.equal(reader.owned, true);
        out.push(f);
      }
    }
    assert.deepEqual(out, frames, `cut at ${cut}`);
    assert.equal(reader.bufferedBytes, 0);
  }
  const reader = new FrameReader(1 << 20);
  const chunk = Buffer.concat([frames[0], frames[1]]);
  reader.push(chunk);
  assert.equal(reader.next().buffer, chunk.buffer, 'a view of the chunk, no copy');
});

test('a caller that stops mid-read (the hub blocked) gets the rest later, also after more chunks arrived, and from a reused buffer', () => {
  const reader = new FrameReader(1 << 20);
  reader.push(stream.subarray(0, stream.length - 5));
  assert.deepEqual(reader.next(), frames[0]);
  // Blocked: more arrives before the caller takes the next frame.
  reader.push(stream.subarray(stream.length - 5));
  const rest = [];
  for (let f = reader.next(); f !== undefined; f = reader.next()) rest.push(f);
  assert.deepEqual(rest, frames.slice(1));
  // From a reused buffer: release() copies what was not taken before the buffer is read into again.
  const buf = Buffer.from(stream);
  const r2 = new FrameReader(1 << 20);
  r2.push(buf, buf.length, true);
  assert.deepEqual(r2.next(), frames[0]);
  assert.equal(r2.owned, false);
  r2.release();
  buf.fill(0);
  const rest2 = [];
  for (let f = r2.next(); f !== undefined; f = r2.next()) rest2.push(Buffer.from(f));
  assert.deepEqual(rest2, frames.slice(1));
});

test('many frames in one read: every one, in order', () => {
  const many = [];
  for (let i = 0; i < 2000; i++) many.push(encodeFrame({ kind: Kind.send, seq: i + 1, ack: 0, to: 0, from: 1, topic: 't' }, i % 3 ? `m${i}` : undefined, 'v8'));
  const all = Buffer.concat(many);
  const reader = new FrameReader(1 << 20, true);
  const got = [];
  reader.read(all, all.length, (f) => (got.push(f.readUInt32BE(8)), true));
  assert.deepEqual(got, many.map((_, i) => i + 1));
});

test('an oversize announcement cut across reads throws once its 4 bytes are in, before anything is allocated', () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(64 * 1024 * 1024, 0);
  const reader = new FrameReader(16 * 1024 * 1024);
  reader.push(head.subarray(0, 2));
  assert.equal(reader.next(), undefined);
  reader.push(head.subarray(2));
  assert.throws(
    () => reader.next(),
    (err) => err instanceof FrameTooLargeError && err.bytes === 64 * 1024 * 1024 + 4,
  );
});
