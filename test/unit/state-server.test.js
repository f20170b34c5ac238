// The store's server and client replica in one process (memory backend, an
// in-process transport): compare-and-set, watch order, history replay vs
// reset, and the bound on what is queued for a watcher that never reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateServer } from '../../dist/state/server.js';
import { StateClient } from '../../dist/state/client.js';
import { memoryBackend } from '../../dist/state/memory-backend.js';
import { localTransport } from '../../dist/state/local-transport.js';

const tick = () => new Promise((r) => setImmediate(r));

function world() {
  const server = new StateServer(() => memoryBackend());
  const client = (name) => new StateClient(localTransport(server, name));
  return { server, client };
}

test('update() from several clients on one key: every increment lands exactly once', async () => {
  const { client } = world();
  const clients = ['a', 'b', 'c', 'd'].map(client);
  await Promise.all(clients.map(async (c) => {
    for (let i = 0; i < 50; i++) await c.update('n', (v = 0) => v + 1);
  }));
  const e = await clients[0].get('n');
  assert.deepEqual([e.value, e.version, e.rev], [200, 200, 200]);
});

test('ifVersion: 0 creates only, n writes only at version n; a conflict carries the current entry', async () => {
  const { client } = world();
  const c = client('a');
  assert.equal((await c.set('k', 1, { ifVersion: 0 })).version, 1);
  await assert.rejects(c.set('k', 2, { ifVersion: 0 }), (err) => err.code === 'DROVER_E_STATE_CONFLICT' && err.details.entry.value === 1);
  assert.equal((await c.set('k', 2, { ifVersion: 1 })).version, 2);
  await assert.rejects(c.delete('k', { ifVersion: 1 }), { code: 'DROVER_E_STATE_CONFLICT' });
  assert.equal(await c.delete('k', { ifVersion: 2 }), true);
  assert.equal(await c.get('k'), undefined);
  // Recreated: versions start again at 1, the rev goes on.
  const again = await c.set('k', 3);
  assert.deepEqual([again.version, again.rev], [1, 4]);
});

test('a watch gets the current entries, then changes in rev order; sinceRev replays; a rev older than the history gets a reset', async () => {
  const { client } = world();
  const writer = client('w');
  await writer.set('a:1', 1);
  await writer.set('b', 'x');
  const reader = client('r');
  const seen = [];
  reader.watch('a:*', (ev) => seen.push([ev.type, ev.entry?.key ?? null, ev.rev]));
  await tick();
  await writer.set('a:2', 2);
  await writer.delete('a:1');
  await writer.set('b', 'y');
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(seen, [['put', 'a:1', 1], ['put', 'a:2', 3], ['delete', 'a:1', 4]]);
  assert.equal(reader.peek('a:1'), undefined);
  assert.equal(reader.peek('a:2').value, 2);

  const replay = [];
  reader.watch('a:*', (ev) => replay.push([ev.type, ev.entry?.key ?? null, ev.rev]), { sinceRev: 1 });
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(replay, [['put', 'a:2', 3], ['delete', 'a:1', 4]]);
  assert.throws(() => reader.watch('a:*', () => {}, { sinceRev: -1 }), { code: 'DROVER_E_STATE_VALUE' });
});

test('a watcher that never reads: at most the bound is queued for it; when it reads again it gets a reset with the current state', async () => {
  const server = new StateServer(() => memoryBackend());
  let release;
  const gate = new Promise((r) => (release = r));
  const batches = [];
  // The first delivery never completes until released: the process is not reading.
  const deliver = (batch) => {
    batches.push(batch);
    return batches.length === 1 ? gate : Promise.resolve();
  };
  JSON.parse(await server.handle(JSON.stringify({ op: 'watch', id: 1, p: '*', s: 'x' }), 'slow', deliver));
  const pad = 'y'.repeat(10_000);
  for (let i = 0; i < 2_000; i++) await server.handle(`{"op":"set","key":"k${i % 100}"}\n"${pad}${i}"`, 'w', async () => {});
  const { queuedBytes } = server.stats();
  assert.ok(queuedBytes <= 8 * 1024 * 1024, `queued ${queuedBytes} bytes`);
  release();
  for (let i = 0; i < 5; i++) await tick();
  const events = batches.slice(1).flatMap((b) => JSON.parse(b));
  const reset = events.find((e) => e.t === 'reset');
  assert.ok(reset, 'a reset after the overflow');
  assert.equal(reset.es.length, 100);
  assert.ok(reset.es.every((e) => e.value.endsWith(String(1900 + Number(e.key.slice(1))))));
});
