// Hostile input to the shared state store: oversized and unserialisable
// values, malformed requests straight onto the hub topic, a store filled to
// its key limit, and a watcher whose process never reads. Clear errors, and
// the master's memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startStateApp } from '../helpers/state.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

test('a 2 MB value and values JSON cannot hold are refused with clear errors; malformed requests get error replies, the master lives on', async (t) => {
  const app = await startStateApp(t, { instances: 1, stateBackend: 'memory' });
  await assert.rejects(app.ask(0, 'set-bad', { key: 'big', kind: 'big' }), (err) => err.code === 'DROVER_E_STATE_LIMIT' && /over the limit of 1048576/.test(err.message));
  for (const [kind, what] of [['fn', /a function/], ['map', /a Map, not a plain object/], ['bigint', /a bigint/], ['cycle', /a cycle/]]) {
    await assert.rejects(app.ask(0, 'set-bad', { key: 'bad', kind }), (err) => err.code === 'DROVER_E_STATE_VALUE' && what.test(err.message), kind);
  }
  assert.throws(() => app.sup.store.peek(''), { code: 'DROVER_E_STATE_VALUE' });
  assert.throws(() => app.sup.store.watch('a*b', () => {}), { code: 'DROVER_E_STATE_VALUE' });

  // Straight onto the hub topic, past the client's checks: the server checks again.
  const raw = async (payload) => JSON.parse(await app.sup.messages.request('master', 'drover.state', payload));
  assert.equal((await raw(`{"op":"set","key":"big"}\n"${'x'.repeat(2 * 1024 * 1024)}"`)).code, 'DROVER_E_STATE_LIMIT');
  assert.equal((await raw('{"op":"set","key":"k"}\n{not json')).code, 'DROVER_E_STATE_VALUE');
  assert.equal((await raw('garbage')).code, 'DROVER_E_STATE_VALUE');
  assert.equal((await raw({ op: 'get' })).code, 'DROVER_E_STATE_VALUE');
  assert.equal((await raw('{"op":"nope"}')).code, 'DROVER_E_STATE_VALUE');
  assert.equal((await raw('{"op":"set","key":"k","if":-1}\n1')).code, 'DROVER_E_STATE_VALUE');
  assert.equal((await raw('{"op":"watch","id":"x","p":"*","s":1}')).code, 'DROVER_E_STATE_VALUE');
  // Still serving.
  assert.equal((await app.ask(0, 'set', { key: 'ok', value: 1 })).version, 1);
  assert.equal(app.server().stats().keys, 1);
  await app.stop();
});

test('100 000 keys fill the store to its limit: one more is refused with DROVER_E_STATE_LIMIT; overwrites and deletes still work', async (t) => {
  const app = await startStateApp(t, { instances: 1, stateBackend: 'memory' });
  const store = app.sup.store;
  for (let i = 0; i < 100_000; i += 1000) await Promise.all(Array.from({ length: 1000 }, (_, j) => store.set(`k${i + j}`, i + j)));
  assert.equal(app.server().stats().keys, 100_000);
  await assert.rejects(app.ask(0, 'set', { key: 'one-more', value: 1 }), (err) => err.code === 'DROVER_E_STATE_LIMIT' && /100000 keys, its limit/.test(err.message));
  assert.equal((await app.ask(0, 'set', { key: 'k5', value: 'again' })).version, 2);
  assert.equal(await app.ask(0, 'delete', { key: 'k6' }), true);
  assert.equal((await app.ask(0, 'set', { key: 'one-more', value: 1 })).version, 1);
  await app.stop();
});

test('a watcher whose process never reads: its queue stays bounded, the writers go on, and once it reads again it gets a reset', async (t) => {
  const dir = tempDir(t);
  const flag = path.join(dir, 'go');
  const app = await startStateApp(t, { instances: 2, stateBackend: 'memory' });
  await app.ask(1, 'watch', { pattern: 'blob:*' });
  await app.ask(1, 'block-until', { file: flag });
  // 300 × 100 KB: more than the hub's queue (8 MiB) and the watcher's own bound (8 MiB) together.
  let maxQueued = 0;
  const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, app.server().stats().queuedBytes)), 5);
  t.after(() => clearInterval(sampler));
  for (let i = 0; i < 300; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => app.sup.store.set(`blob:${(i + j) % 50}`, { i: i + j, pad: 'x'.repeat(100_000) })));
  }
  const last = await app.sup.store.get('blob:49');
  assert.equal(last.value.i, 299);
  clearInterval(sampler);
  assert.ok(maxQueued <= 8 * 1024 * 1024 + 200_000, `queued for the watcher at most ~8 MiB (saw ${maxQueued})`);
  writeFileSync(flag, '');
  const reset = await waitFor(() => app.watchEvents.find((e) => e.from === 1 && e.type === 'reset'), { timeoutMs: 30_000, message: 'a reset at the slow watcher' });
  assert.equal(reset.keys.length, 50);
  // Its replica is current after the reset.
  const peeked = await withTimeout(app.ask(1, 'peek', { key: 'blob:49' }), 30_000, 'the peek');
  assert.equal(peeked.value.i, 299);
  await app.stop();
});
