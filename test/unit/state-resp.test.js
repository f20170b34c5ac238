// The tail's RESP reader (src/state/resp.ts): every reply type, a reply cut
// anywhere (one byte at a time) is incomplete until its last byte, UTF-8
// bulk strings counted in bytes, and bytes that are not RESP are an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { encodeCommand, parseReply, RespConnection } from '../../dist/state/resp.js';

// An XREAD reply as Redis sends it: one stream, two entries, a value with multi-byte UTF-8.
const XREAD_VALUE = [['{a}:feed', [['7-1', ['k', 'key', 'v', '2', 'd', '"héllo€"']], ['8-1', ['k', 'key', 'x', '1']]]]];
const resp = (v) => (Array.isArray(v) ? `*${v.length}\r\n${v.map(resp).join('')}` : `$${Buffer.byteLength(v)}\r\n${v}\r\n`);
const XREAD = Buffer.from(resp(XREAD_VALUE), 'utf8');

test('RESP replies: simple, error, integer, bulk, null bulk, null array, nested arrays', () => {
  assert.deepEqual(parseReply(Buffer.from('+OK\r\n')), { value: 'OK', end: 5 });
  const err = parseReply(Buffer.from('-WRONGPASS invalid password\r\n'));
  assert.ok(err.value instanceof Error);
  assert.equal(err.value.message, 'WRONGPASS invalid password');
  assert.deepEqual(parseReply(Buffer.from(':42\r\n')), { value: 42, end: 5 });
  assert.deepEqual(parseReply(Buffer.from('$-1\r\n')), { value: null, end: 5 });
  assert.deepEqual(parseReply(Buffer.from('*-1\r\n')), { value: null, end: 5 });
  assert.deepEqual(parseReply(Buffer.from('$0\r\n\r\n')), { value: '', end: 6 });
  assert.deepEqual(parseReply(XREAD), { value: XREAD_VALUE, end: XREAD.length });
});

test('a reply cut at any byte is incomplete until its last byte; two replies in one buffer are read one after the other', () => {
  for (let n = 0; n < XREAD.length; n++) assert.equal(parseReply(XREAD.subarray(0, n)), undefined, `cut at ${n}`);
  const two = Buffer.concat([XREAD, Buffer.from('*-1\r\n')]);
  const first = parseReply(two);
  assert.deepEqual(first.value, XREAD_VALUE);
  assert.deepEqual(parseReply(two, first.end), { value: null, end: two.length });
});

test('bytes that are not RESP, or a bad length, throw', () => {
  assert.throws(() => parseReply(Buffer.from('HTTP/1.1 400\r\n')), /not a RESP reply/);
  assert.throws(() => parseReply(Buffer.from('$abc\r\n')), /bad RESP length/);
  assert.throws(() => parseReply(Buffer.from('*-5\r\n')), /bad RESP length/);
});

test('commands are arrays of bulk strings with lengths in bytes', () => {
  assert.equal(encodeCommand(['XREAD', 'BLOCK', '5000']), '*3\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$4\r\n5000\r\n');
  assert.equal(encodeCommand(['AUTH', 'pässword']), '*2\r\n$4\r\nAUTH\r\n$9\r\npässword\r\n');
});

test('a connection reads replies cut into single bytes, a large one over many reads, and two in one read, each to its command', async (t) => {
  const big = 'x'.repeat(300_000);
  const replies = [XREAD, Buffer.from(resp([['s', [['1-1', ['d', big]]]]])), Buffer.from('+OK\r\n:7\r\n')];
  const server = net.createServer(async (s) => {
    // One command at a time is asked here; the last two replies answer two commands sent together.
    let n = 0;
    s.on('data', async () => {
      const reply = replies[n++];
      if (reply === undefined) return;
      for (let i = 0; i < reply.length; i += n === 1 ? 1 : 4096) {
        s.write(reply.subarray(i, i + (n === 1 ? 1 : 4096)));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const c = new RespConnection({ url: `redis://127.0.0.1:${server.address().port}`, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
  t.after(() => {
    c.close();
    server.close();
  });
  assert.deepEqual(await c.command(['XREAD']), XREAD_VALUE);
  assert.equal((await c.command(['XREAD']))[0][1][0][1][1], big);
  assert.deepEqual(await Promise.all([c.command(['SET']), c.command(['INCR'])]), ['OK', 7]);
});
