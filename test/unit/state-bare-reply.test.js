// A set's reply without its value (issue 12, set latency): the writer sent the
// value, so the master answers a set that asks for it (flag n) with version,
// rev and epoch only, and the writer's entry holds its own text, parsed and
// frozen, made while the master works. A conflict still carries the current
// entry; a client without the flag, and a server that ignores it, get and read
// the full reply as before. The log's checksum of short ASCII records is
// computed in JS and must equal zlib's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { localTransport } from '../../dist/state/local-transport.js';
import { crc32Text } from '../../dist/state/crc32.js';
import { setText } from '../../dist/state/wire.js';

const noPush = () => undefined;

test('a bare set is answered with version, rev and epoch, not the value; without the flag, with the entry', async () => {
  const server = new StateServer(() => memoryBackend());
  const bare = JSON.parse(await server.handle(setText('k', undefined, false, '{"big":"value"}', true), 'w', noPush));
  assert.deepEqual(Object.keys(bare).sort(), ['epoch', 'ok', 'rev', 'version']);
  assert.equal(bare.ok, 1);
  assert.equal(bare.version, 1);
  assert.equal(bare.rev, 1);
  assert.equal(bare.epoch, server.epoch);
  const full = JSON.parse(await server.handle(setText('k', undefined, false, '{"big":"value"}'), 'w', noPush));
  assert.deepEqual(full.e, { key: 'k', version: 2, rev: 2, epoch: server.epoch, value: { big: 'value' } });
  // update()'s attempt (u) with the flag: bare on success, the current entry on a conflict.
  const won = JSON.parse(await server.handle(setText('k', 2, true, '3', true), 'w', noPush));
  assert.deepEqual([won.ok, won.version, won.rev, won.e], [1, 3, 3, undefined]);
  const lost = JSON.parse(await server.handle(setText('k', 2, true, '4', true), 'w', noPush));
  assert.equal(lost.ok, 0);
  assert.equal(lost.code, 'DROVER_E_STATE_CONFLICT');
  assert.deepEqual(lost.e, { key: 'k', version: 3, rev: 3, epoch: server.epoch, value: 3 });
  await server.close();
});

test("the writer's entry is its own value, parsed and frozen, in the replica before set() resolves", async () => {
  const server = new StateServer(() => memoryBackend());
  const requests = [];
  const transport = localTransport(server, 'w');
  const client = new StateClient({ ...transport, request: (text, ms) => (requests.push(text), transport.request(text, ms)) });
  const mine = { list: [1, { deep: true }], s: 'é' };
  const entry = await client.set('k', mine).then((e) => {
    assert.equal(client.peek('k'), e, 'the replica holds the entry the promise resolves with');
    return e;
  });
  assert.match(requests[0], /^\{"op":"set","key":"k","n":1\}\n/);
  assert.deepEqual(entry, { key: 'k', version: 1, rev: 1, epoch: server.epoch, value: { list: [1, { deep: true }], s: 'é' } });
  assert.notEqual(entry.value, mine, "a copy: the caller's object is not the store's");
  assert.ok(Object.isFrozen(entry) && Object.isFrozen(entry.value) && Object.isFrozen(entry.value.list[1]));
  mine.list.push(2);
  assert.deepEqual(client.peek('k').value.list, [1, { deep: true }]);
  // update() reads its own write back the same way.
  const next = await client.update('k', (v) => ({ ...v, s: 'x' }));
  assert.deepEqual([next.version, next.rev, next.value.s], [2, 2, 'x']);
  assert.equal(client.peek('k'), next);
  // A conflict still rejects with the current entry.
  await assert.rejects(client.set('k', 1, { ifVersion: 1 }), (err) => err.code === 'DROVER_E_STATE_CONFLICT' && err.details.entry.version === 2);
  await server.close();
});

test('a server that ignores the flag answers in full, and the client reads that as before', async () => {
  const server = new StateServer(() => memoryBackend());
  const transport = localTransport(server, 'w');
  // An older master: it knows no n (its JSON.parse path drops the field), so it answers with the entry.
  const client = new StateClient({ ...transport, request: (text, ms) => transport.request(text.replace(',"n":1}', '}'), ms) });
  const entry = await client.set('k', { a: 1 });
  assert.deepEqual(entry, { key: 'k', version: 1, rev: 1, epoch: server.epoch, value: { a: 1 } });
  assert.equal(client.peek('k'), entry);
  assert.equal((await client.update('k', (v) => ({ a: v.a + 1 }))).value.a, 2);
  await server.close();
});

test("the writer's copy is made on a tick only while the master answers bare: after a full answer, no write schedules one", async () => {
  // The ticks a write's synchronous part schedules (ownValue's is the only one: the local transport uses none).
  const ticksOf = (write) => {
    const nextTick = process.nextTick;
    let n = 0;
    process.nextTick = (...args) => (n++, nextTick(...args));
    try {
      return { n: (write(), n) };
    } finally {
      process.nextTick = nextTick;
    }
  };
  const server = new StateServer(() => memoryBackend());
  const transport = localTransport(server, 'w');
  const bare = new StateClient(transport);
  let p;
  assert.equal(ticksOf(() => (p = bare.set('b', { a: 1 }))).n, 1);
  await p;
  assert.equal(ticksOf(() => (p = bare.set('b', { a: 2 }))).n, 1, 'a bare master: the copy is needed, made while the master works');
  assert.deepEqual((await p).value, { a: 2 });
  const full = new StateClient({ ...transport, request: (text, ms) => transport.request(text.replace(',"n":1}', '}'), ms) });
  await full.set('f', { a: 1 });
  assert.equal(ticksOf(() => (p = full.set('f', { a: 2 }))).n, 0, 'a master that answers in full: no copy, no tick');
  assert.deepEqual((await p).value, { a: 2 });
  assert.equal(ticksOf(() => (p = full.update('f', (v) => ({ a: v.a + 1 })))).n, 0);
  assert.deepEqual((await p).value, { a: 3 });
  await server.close();
});

test('a bare success without version or rev is an error, not an entry with holes', async () => {
  const client = new StateClient({ request: async () => '{"ok":1}', listen: () => {} });
  await assert.rejects(client.set('k', 1), (err) => err.code === 'DROVER_E_STATE_UNAVAILABLE');
});

test("the log's checksum of a record, computed in JS for short ASCII text, equals zlib's crc32 of its UTF-8 bytes", () => {
  const texts = ['', 'a', '{"r":1,"k":"bench:set","v":1,"d":{"i":1}}', 'héllo', '日本語', '😀', 'a\u0080b', '\u007f', 'x'.repeat(4096), 'y'.repeat(4097), `${'z'.repeat(5000)}é`];
  for (const t of texts) assert.equal(crc32Text(t), zlib.crc32(t), JSON.stringify(t.slice(0, 20)));
  for (let i = 0; i < 200; i++) {
    const t = Array.from({ length: i }, (_, j) => String.fromCharCode(32 + ((i * 31 + j * 7) % 95))).join('');
    assert.equal(crc32Text(t), zlib.crc32(t));
  }
});

test("a bare set's reply is read back without JSON.parse as JSON.parse reads it; anything else is left to JSON.parse", async () => {
  const { bareSetReply, parseBareSet } = await import('../../dist/state/wire.js');
  for (const [v, r, e] of [[1, 1, 1765112345678], [0, 9, 1], [123456789012345, 999999999999999, 0]]) {
    const text = bareSetReply(v, r, e);
    assert.deepEqual(parseBareSet(text), JSON.parse(text));
  }
  const server = new StateServer(() => memoryBackend());
  const text = await server.handle(setText('k', undefined, false, '1', true), 'w', noPush);
  assert.deepEqual(parseBareSet(text), JSON.parse(text), "the server's reply is the form parseBareSet reads");
  await server.close();
  for (const other of [
    '{"ok":1,"e":{"key":"k","version":1,"rev":1,"epoch":1,"value":1}}',
    '{"ok":0,"code":"DROVER_E_STATE_CONFLICT","msg":"x","e":null}',
    '{"ok":1,"version":1,"rev":2}',
    '{"ok":1,"version":1,"rev":-2,"epoch":3}',
    '{"ok":1,"version":1,"rev":2,"epoch":3,"up":true}',
    '{"ok":1,"version":,"rev":2,"epoch":3}',
    '{"ok":1,"version":1234567890123456,"rev":2,"epoch":3}',
  ]) assert.equal(parseBareSet(other), undefined, other);
});
