// The shared state store with the embedded backends (memory, file): real
// workers writing through the master, exact counts under contention, the
// API's semantics, watches in rev order, and persistence across a master
// that is SIGKILLed in the middle of a write storm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { runDrover, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { startStateApp, STATE_WORKER } from '../helpers/state.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

for (const backend of ['memory', 'file']) {
  test(`${backend}: 4 workers × 250 update() increments of one key → exactly 1000; a watcher in each worker sees the last one`, async (t) => {
    const dir = tempDir(t);
    const app = await startStateApp(t, { instances: 4, stateBackend: backend, stateDir: dir });
    for (const w of [0, 1, 2, 3]) await app.ask(w, 'watch', { pattern: 'hits' });
    const acked = await Promise.all([0, 1, 2, 3].map((w) => app.ask(w, 'storm', { key: 'hits', n: 250 })));
    assert.deepEqual(acked, [250, 250, 250, 250]);
    const e = await app.sup.store.get('hits');
    assert.equal(e.value, 1000);
    assert.equal(e.version, 1000);
    // Every watcher saw the increments in rev order, ending at 1000 (pushes, nobody polled).
    await waitFor(() => [0, 1, 2, 3].every((w) => app.watchEvents.some((ev) => ev.from === w && ev.value === 1000)), { timeoutMs: BOOT_TIMEOUT_MS, message: 'every watcher at 1000' });
    for (const w of [0, 1, 2, 3]) {
      const revs = app.watchEvents.filter((ev) => ev.from === w && ev.type === 'put').map((ev) => ev.rev);
      assert.deepEqual(revs, [...revs].sort((a, b) => a - b), `worker ${w} got its events in rev order`);
      const peeked = await app.ask(w, 'peek', { key: 'hits' });
      assert.equal(peeked.value, 1000);
    }
    if (backend === 'file') assert.ok(existsSync(path.join(dir, 'state.log')));
    await app.stop();
  });
}

test('the API: set/get/peek, ifVersion conflicts, delete, prefix watches, the same API on the master', async (t) => {
  const app = await startStateApp(t, { instances: 2, stateBackend: 'memory' });
  const store = app.sup.store;
  await app.ask(1, 'watch', { pattern: 'cfg:*' });
  const a = await app.ask(0, 'set', { key: 'cfg:a', value: { n: 1 } });
  assert.deepEqual([a.key, a.value, a.version], ['cfg:a', { n: 1 }, 1]);
  assert.ok(a.rev >= 1 && a.epoch > 0);
  // The writer's own replica holds its write once set() resolved.
  assert.deepEqual((await app.ask(0, 'peek', { key: 'cfg:a' })).value, { n: 1 });

  // Compare-and-set: the right version wins, a stale one is refused with the current entry.
  const b = await app.ask(0, 'set', { key: 'cfg:a', value: { n: 2 }, ifVersion: 1 });
  assert.equal(b.version, 2);
  await assert.rejects(app.ask(1, 'set', { key: 'cfg:a', value: { n: 99 }, ifVersion: 1 }), (err) => err.code === 'DROVER_E_STATE_CONFLICT' && err.details.entry.version === 2 && err.details.entry.value.n === 2);
  await assert.rejects(app.ask(1, 'set', { key: 'cfg:a', value: 1, ifVersion: 0 }), { code: 'DROVER_E_STATE_CONFLICT' });
  const created = await app.ask(1, 'set', { key: 'cfg:new', value: 'x', ifVersion: 0 });
  assert.equal(created.version, 1);

  // The master's handle: same entries, same semantics.
  assert.deepEqual((await store.get('cfg:a')).value, { n: 2 });
  await assert.rejects(store.set('cfg:a', 3, { ifVersion: 7 }), (err) => err.code === 'DROVER_E_STATE_CONFLICT' && err.exitCode === 100);
  const fromMaster = await store.set('cfg:b', [1, 2]);
  assert.equal(fromMaster.version, 1);
  assert.throws(() => { fromMaster.value.push(3); }, TypeError, 'values are frozen');

  assert.equal(await app.ask(0, 'delete', { key: 'cfg:b', ifVersion: 1 }), true);
  assert.equal(await app.ask(0, 'delete', { key: 'cfg:b' }), false);
  assert.equal(await app.ask(0, 'get', { key: 'cfg:b' }), undefined);
  await store.set('other', 1);

  // Worker 1 watched the prefix: every change under it, in rev order, and nothing else.
  await waitFor(() => app.watchEvents.some((e) => e.type === 'delete' && e.key === 'cfg:b'), { message: 'the delete at the watcher' });
  const seen = app.watchEvents.filter((e) => e.from === 1 && e.id === 'cfg:*');
  assert.deepEqual(seen.map((e) => [e.type, e.key]), [['put', 'cfg:a'], ['put', 'cfg:a'], ['put', 'cfg:new'], ['put', 'cfg:b'], ['delete', 'cfg:b']]);
  const revs = seen.map((e) => e.rev);
  assert.deepEqual(revs, [...revs].sort((x, y) => x - y));
  // Served from its replica now: peek is current for watched keys.
  assert.deepEqual((await app.ask(1, 'peek', { key: 'cfg:a' })).value, { n: 2 });
  assert.equal(await app.ask(1, 'peek', { key: 'cfg:b' }), null);

  // A watch started later gets the current entries first, then changes; sinceRev replays what it missed.
  await app.ask(0, 'watch', { pattern: 'cfg:*', id: 'late' });
  await waitFor(() => app.watchEvents.filter((e) => e.id === 'late').length >= 2, { message: 'the initial entries' });
  assert.deepEqual(app.watchEvents.filter((e) => e.id === 'late').map((e) => e.key).sort(), ['cfg:a', 'cfg:new']);
  await app.ask(0, 'watch', { pattern: 'cfg:*', id: 'replay', sinceRev: a.rev });
  await waitFor(() => app.watchEvents.filter((e) => e.id === 'replay').length >= 4, { message: 'the replay' });
  assert.deepEqual(app.watchEvents.filter((e) => e.id === 'replay').map((e) => [e.type, e.key]), [['put', 'cfg:a'], ['put', 'cfg:new'], ['put', 'cfg:b'], ['delete', 'cfg:b']]);
  const status = await app.ask(0, 'status', {});
  assert.equal(status.connected, true);
  assert.equal(status.stale, false);
  await app.stop();
});

test('file: a master SIGKILLed during a write storm keeps every acknowledged write; a watcher with an old rev gets a reset', async (t) => {
  const dir = tempDir(t);
  const d = runDrover(t, [STATE_WORKER, '-i', '2', '--wait-ready', '--heartbeat-interval-ms', '0', '--state-dir', dir], { env: { STATE_STORM: 'k', STATE_STORM_ACKS: '1' } });
  await d.ready();
  // Each worker prints {"acked": key} once its set() resolved; kill the master mid-storm.
  await waitFor(() => d.records.filter((r) => r.acked).length >= 300, { timeoutMs: 60_000, message: '300 acknowledged writes' });
  d.signal('SIGKILL');
  await d.wait();
  const acked = d.records.filter((r) => r.acked).map((r) => r.acked);
  await d.assertNothingLeft();

  const app = await startStateApp(t, { instances: 1, stateDir: dir });
  const missing = [];
  for (const key of acked) {
    const e = await app.sup.store.get(key.key);
    if (!e || e.value.i !== key.i) missing.push(key);
  }
  assert.deepEqual(missing, [], `${acked.length} acknowledged writes, all present after the restart`);
  // The restarted master's history starts at its load: an older sinceRev is answered with a reset.
  await app.ask(0, 'watch', { pattern: 'w0:*', id: 'old', sinceRev: 1 });
  const reset = await waitFor(() => app.watchEvents.find((e) => e.id === 'old' && e.type === 'reset'), { message: 'a reset' });
  assert.ok(reset.keys.length > 0);
  assert.ok(statSync(path.join(dir, 'state.log')).size > 0);
  await app.stop();
});

test('file: a torn last record (a write cut by a power loss) is dropped at load, the rest is kept', async (t) => {
  const dir = tempDir(t);
  let app = await startStateApp(t, { instances: 1, stateDir: dir });
  await app.sup.store.set('a', 1);
  await app.sup.store.set('b', 2);
  await app.stop();
  const { appendFileSync } = await import('node:fs');
  appendFileSync(path.join(dir, 'state.log'), '0000abcd {"r":3,"k":"c","v":1,"d":3');
  app = await startStateApp(t, { instances: 1, stateDir: dir });
  assert.equal((await app.sup.store.get('a')).value, 1);
  assert.equal((await app.sup.store.get('b')).value, 2);
  assert.equal(await app.sup.store.get('c'), undefined);
  const c = await app.sup.store.set('c', 3);
  assert.equal(c.rev, 3);
  assert.ok(readFileSync(path.join(dir, 'state.log'), 'utf8').endsWith('\n'));
  await app.stop();
});
