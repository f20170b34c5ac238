// A pushed change read without the batch's generic parse (issue 12, fan-out):
// parsePutBatch reads a batch of one untagged put exactly as JSON.parse reads
// the server's text, and declines everything else (several events, a tagged
// replay, a delete, a key with an escape), which the client then parses in
// full. The watcher's event and the replica are the same either way: a frozen
// entry in JSON.parse's key order, the object peek() gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { localTransport } from '../../dist/state/local-transport.js';
import { parsePutBatch, setText } from '../../dist/state/wire.js';

const turn = () => new Promise((r) => setImmediate(r));

/** Every batch the server pushes to one watcher of pattern p, from after its registration. */
async function pushes(server, p) {
  const got = [];
  const reply = await server.handle(JSON.stringify({ op: 'watch', id: 1, p, s: 'w' }), 'w', (batch) => void got.push(batch));
  assert.equal(JSON.parse(reply).ok, 1);
  got.length = 0;
  return got;
}

const VALUES = [
  ['k', '1'],
  ['k', '{"t":12345678.123456,"i":7}'],
  ['k', '"ends like a batch }}]"'],
  ['k', '{"a":[1,{"b":"}}]"}],"c":null,"d":"\\"quoted\\" \\\\ and \\u0000"}'],
  ['ключ', '[true,false,-0.5e-7]'],
  ['with "quote"', '2'],
  ['back\\slash', '3'],
];

test('a batch of one put: read as JSON.parse reads it, for every value and every key without an escape', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = await pushes(server, '*');
  for (const [key, json] of VALUES) {
    await server.handle(setText(key, undefined, false, json), 'x', () => undefined);
    await turn();
  }
  assert.equal(got.length, VALUES.length, 'one batch per change');
  for (const batch of got) {
    const full = JSON.parse(batch);
    assert.equal(full.length, 1);
    const fast = parsePutBatch(batch);
    if (JSON.stringify(full[0].e.key).includes('\\')) {
      assert.equal(fast, undefined, `declined: the key ${full[0].e.key} has an escape`);
      continue;
    }
    assert.deepEqual(fast, full[0].e);
    assert.deepEqual(Object.keys(fast), Object.keys(full[0].e), 'the same key order');
  }
  await server.close();
});

test('anything but one untagged put is declined: several events, a replay, a delete, text that is not a batch', async () => {
  const server = new StateServer(() => memoryBackend());
  const got = await pushes(server, 'k');
  // Not awaited one by one: both changes in one turn.
  await Promise.all([server.handle(setText('k', undefined, false, '{"v":1}'), 'x', () => undefined), server.handle(setText('k', undefined, false, '{"v":2}'), 'x', () => undefined)]);
  await turn();
  await server.handle('{"op":"del","key":"k"}', 'x', () => undefined);
  await turn();
  const several = got.find((b) => JSON.parse(b).length > 1);
  assert.ok(several, 'two changes in one turn went as one batch');
  assert.equal(parsePutBatch(several), undefined);
  assert.equal(JSON.parse(got.at(-1))[0].t, 'del');
  assert.equal(parsePutBatch(got.at(-1)), undefined);
  const replay = [];
  await server.handle(JSON.stringify({ op: 'watch', id: 2, p: 'k', s: 'r', since: 0 }), 'r', (batch) => void replay.push(batch));
  await turn();
  assert.ok(replay.length > 0);
  for (const b of replay) assert.equal(parsePutBatch(b), undefined, 'tagged events go the full way');
  for (const text of ['', '[]', '[{"t":"put","e":{"key":"k","version":1,"rev":1,"epoch":1,"value":}}]', '[{"t":"put","e":{"key":"k","version":1.5,"rev":1,"epoch":1,"value":1}}]']) {
    assert.equal(parsePutBatch(text), undefined, text);
  }
  await server.close();
});

test("the client's watcher and replica: frozen entries in rev order, the replica's own object, on either path", async () => {
  const server = new StateServer(() => memoryBackend());
  const writer = new StateClient(localTransport(server, 'a'));
  const reader = new StateClient(localTransport(server, 'b'));
  const seen = [];
  reader.watch('*', (ev) => seen.push(ev));
  await writer.set('plain', { n: 1 });
  await writer.set('esc"aped', { n: 2 });
  await writer.set('plain', { n: 3, deep: [{ x: 1 }] });
  const deadline = Date.now() + 10_000;
  while (seen.filter((e) => e.type === 'put').length < 3 && Date.now() < deadline) await turn();
  const puts = seen.filter((e) => e.type === 'put');
  assert.deepEqual(puts.map((e) => [e.entry.key, e.rev, e.entry.value.n]), [['plain', 1, 1], ['esc"aped', 2, 2], ['plain', 3, 3]]);
  for (const e of puts) {
    assert.ok(Object.isFrozen(e.entry) && Object.isFrozen(e.entry.value), 'frozen');
    assert.deepEqual(Object.keys(e.entry), ['key', 'version', 'rev', 'epoch', 'value']);
  }
  assert.ok(Object.isFrozen(puts[2].entry.value.deep[0]), 'frozen to the bottom');
  assert.equal(reader.peek('plain'), puts[2].entry, "the replica's own object");
  assert.equal(reader.peek('esc"aped'), puts[1].entry);
  await server.close();
});
