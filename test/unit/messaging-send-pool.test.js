// The worker's pool of memory for large outgoing frames (send-pool.ts): a
// frame's memory is handed out again only after its write called back; sizes
// outside the pooled range get their own Buffer; frames encoded from the pool
// are byte for byte those encodeFrame makes without it; and frames written
// through a real socket arrive intact while their memory is reused for the
// next ones. The free memory is dropped at a full collection (an idle worker
// does not keep it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FrameReader } from '../../dist/messaging/frame-reader.js';
import { HEADER_BYTES, Kind, decodePayload, encodeFrame } from '../../dist/messaging/frame.js';
import { POOL_KEEP_BYTES, POOLED_MAX_BYTES, POOLED_MIN_BYTES, SendPool } from '../../dist/messaging/send-pool.js';
import { waitFor } from '../helpers/wait.js';

test('memory is handed out again only once its write is done', () => {
  const pool = new SendPool();
  const a = pool.alloc(65_562);
  assert.equal(a.length, 65_562);
  assert.ok(pool.pooled(a));
  const b = pool.alloc(65_562);
  assert.notEqual(b.buffer, a.buffer, 'a frame still being written is not handed out twice');
  pool.written(a)();
  const c = pool.alloc(65_000);
  assert.equal(c.buffer, a.buffer, 'a written frame\'s memory serves the next frame that fits');
  assert.equal(c.length, 65_000);
  pool.written(b)();
  assert.equal(pool.alloc(200_000).buffer === b.buffer, false, 'memory too small for a frame is not used for it');
});

test('frames outside the pooled range get their own Buffer', () => {
  const pool = new SendPool();
  for (const size of [HEADER_BYTES, POOLED_MIN_BYTES - 1, POOLED_MAX_BYTES + 1]) {
    const buf = pool.alloc(size);
    assert.equal(buf.length, size);
    assert.equal(pool.pooled(buf), false, `${size} bytes`);
  }
  assert.equal(pool.pooled(Buffer.alloc(70_000)), false, 'a Buffer the pool did not make');
});

test('at most POOL_KEEP_BYTES of free memory is kept', () => {
  const pool = new SendPool();
  const size = 256 * 1024;
  const n = POOL_KEEP_BYTES / size + 4;
  const frames = Array.from({ length: n }, () => pool.alloc(size));
  for (const f of frames) pool.written(f)();
  const again = Array.from({ length: n }, () => pool.alloc(size));
  const reused = again.filter((f) => frames.some((g) => g.buffer === f.buffer)).length;
  assert.equal(reused, POOL_KEEP_BYTES / size);
});

test('free memory is kept while frames flow and dropped at a full collection', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const pool = new SendPool();
  const a = pool.alloc(65_562);
  pool.written(a)();
  assert.equal(pool.freeBytes, a.buffer.byteLength);
  // A WeakRef's target survives the job that made it: the next one may collect it.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.equal(pool.freeBytes, 0);
  const b = pool.alloc(65_562);
  assert.ok(pool.pooled(b), 'the pool starts again');
  assert.notEqual(b.buffer, a.buffer);
  pool.written(b)();
  assert.equal(pool.alloc(65_562).buffer, b.buffer, 'and reuses again');
});

const payloads = (i) => [
  `${i}:`.padEnd(70_000 + i * 13, String.fromCharCode(97 + (i % 26))),
  // Non-ASCII: the frame is sized again once the string is measured (frame.ts).
  `é${i}`.repeat(12_000 + i),
  Buffer.alloc(40_000 + i, i % 256),
  { rows: Array.from({ length: 600 }, (_, k) => ({ k, i })) },
];

test('frames from the pool are the frames encodeFrame makes without one', () => {
  const pool = new SendPool();
  for (let i = 0; i < 5; i++) {
    for (const p of payloads(i)) {
      const f = { kind: Kind.reply, seq: 0, ack: i, to: -1, from: 0, topic: '' };
      const pooled = encodeFrame(f, p, 'v8', undefined, pool.alloc);
      assert.deepEqual(pooled, encodeFrame(f, p, 'v8'));
      if (pool.pooled(pooled)) pool.written(pooled)();
    }
  }
});

test('pooled frames written through a socket arrive intact while their memory is reused', async (t) => {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const received = [];
  const reader = new FrameReader(1 << 24);
  server.on('connection', (s) =>
    s.on('data', (chunk) => {
      reader.push(chunk);
      for (let frame = reader.next(); frame !== undefined; frame = reader.next()) received.push(decodePayload(frame, HEADER_BYTES + frame[7]));
    }),
  );
  const client = net.connect(server.address().port, '127.0.0.1');
  t.after(() => {
    client.destroy();
    server.close();
  });
  await new Promise((resolve) => client.once('connect', resolve));
  const pool = new SendPool();
  const rounds = 20;
  let pooledWrites = 0;
  for (let i = 0; i < rounds; i++) {
    // Corked, as the hub client writes a tick's replies.
    client.cork();
    for (const p of payloads(i)) {
      const frame = encodeFrame({ kind: Kind.reply, seq: 0, ack: i, to: -1, from: 0, topic: '' }, p, 'v8', undefined, pool.alloc);
      if (pool.pooled(frame)) {
        pooledWrites++;
        client.write(frame, pool.written(frame));
      } else client.write(frame);
    }
    process.nextTick(() => client.uncork());
    // Every other round waits for the writes to finish, so later rounds reuse the memory.
    if (i % 2 === 1) await new Promise((resolve) => client.write(Buffer.alloc(0), resolve));
  }
  assert.ok(pooledWrites >= rounds * 3, 'text and bytes frames came from the pool');
  await waitFor(() => received.length === rounds * 4, { timeoutMs: 20_000, message: 'every frame received' });
  for (let i = 0; i < rounds; i++) assert.deepEqual(received.slice(i * 4, i * 4 + 4), payloads(i), `round ${i}`);
});
