// The redis state backend against a real redis-server: exact counts under
// contention, and a Redis that stops and starts again in the middle of a write
// storm (two masters sharing one store: state-redis-masters.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { startStateApp } from '../helpers/state.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const skip = hasRedis ? false : 'redis-server is not installed (.ci/run installs it)';

test('redis: 4 workers × 250 update() increments of one key → exactly 1000', { skip }, async (t) => {
  const redis = await startRedis(t);
  const app = await startStateApp(t, { instances: 4, stateBackend: 'redis', stateUrl: redis.url, stateNamespace: 'count' });
  await app.ask(0, 'watch', { pattern: 'hits' });
  const acked = await Promise.all([0, 1, 2, 3].map((w) => app.ask(w, 'storm', { key: 'hits', n: 250 })));
  assert.deepEqual(acked, [250, 250, 250, 250]);
  const e = await app.sup.store.get('hits');
  assert.deepEqual([e.value, e.version], [1000, 1000]);
  await waitFor(() => app.watchEvents.some((ev) => ev.from === 0 && ev.value === 1000), { timeoutMs: BOOT_TIMEOUT_MS, message: 'the watcher at 1000' });
  await app.stop();
});

test('redis stopped and started again mid-storm: writes rejected while it is down, none lost or applied twice, the watcher sees every change or a reset', { skip }, async (t) => {
  const redis = await startRedis(t);
  const app = await startStateApp(t, { instances: 2, stateBackend: 'redis', stateUrl: redis.url, stateNamespace: 'outage', env: { STATE_STORM: 'k', STATE_STORM_KEEP: '1', STATE_STORM_MAX: '100000' } });
  const rejected = [];
  app.sup.messages.on('rejected', (e) => rejected.push(e));
  await app.ask(1, 'watch', { pattern: 'w0:*' });
  await waitFor(() => app.acked.filter((a) => a.from === 0).length >= 100, { timeoutMs: 60_000, message: '100 acknowledged writes' });
  await redis.stop();
  await waitFor(() => rejected.some((r) => r.from === 0), { timeoutMs: 30_000, message: 'a write rejected while Redis is down' });
  assert.ok(rejected.every((r) => r.code === 'DROVER_E_STATE_UNAVAILABLE'), JSON.stringify(rejected.slice(0, 3)));
  await waitFor(async () => (await app.ask(1, 'status', {})).stale, { message: 'reads marked stale' });
  const before = app.acked.length;
  await redis.start();
  await waitFor(() => app.acked.filter((a) => a.from === 0).length >= 100 + (before - 100) + 100, { timeoutMs: 60_000, message: '100 more acknowledged writes after the restart' });
  // Stop the storm: the workers go away with the app, after the checks below read through the master.
  const acked = app.acked.filter((a) => a.from === 0).map((a) => a.key);
  for (const key of acked) {
    const e = await app.sup.store.get(key);
    assert.ok(e, `${key} was acknowledged and is there`);
    assert.equal(e.version, 1, `${key} was written once (ifVersion 0), never twice`);
  }
  // The watcher: every acknowledged key in a put it saw or in a reset's snapshot.
  await waitFor(() => {
    const seen = new Set();
    for (const ev of app.watchEvents.filter((e) => e.from === 1)) {
      if (ev.type === 'put') seen.add(ev.key);
      if (ev.type === 'reset') for (const k of ev.keys) seen.add(k);
    }
    return acked.every((k) => seen.has(k));
  }, { timeoutMs: BOOT_TIMEOUT_MS, message: 'every acknowledged key at the watcher' });
  await app.stop();
});
