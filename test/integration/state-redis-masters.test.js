// The redis state backend: two app masters ("two machines") on one Redis
// share one store: exact counts across both, and a set through one master is
// seen by a watcher under the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrover, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { startStateApp, STATE_WORKER } from '../helpers/state.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const skip = hasRedis ? false : 'redis-server is not installed (.ci/run installs it)';

test('redis: two masters on one Redis: 2 × 4 workers × 250 → exactly 2000, and a set through one is seen by a watcher under the other', { skip }, async (t) => {
  const redis = await startRedis(t);
  const ns = 'shared';
  // Master B: a `drover run` whose workers storm from boot and print what their watches see.
  const b = runDrover(t, [STATE_WORKER, '-i', '4', '--wait-ready', '--heartbeat-interval-ms', '0', '--state-backend', 'redis', '--state-url', redis.url, '--state-namespace', ns], {
    env: { STATE_BOOT_STORM: 'hits:250', STATE_BOOT_WATCH: 'greeting' },
  });
  // Master A: in this process, driven over messaging.
  const a = await startStateApp(t, { instances: 4, stateBackend: 'redis', stateUrl: redis.url, stateNamespace: ns });
  const acked = await Promise.all([0, 1, 2, 3].map((w) => a.ask(w, 'storm', { key: 'hits', n: 250 })));
  assert.deepEqual(acked, [250, 250, 250, 250]);
  await b.ready();
  await waitFor(() => b.records.filter((r) => r.stormDone).length === 4, { timeoutMs: 120_000, message: "master B's 4 workers to finish" });
  assert.deepEqual(b.records.filter((r) => r.stormDone).map((r) => r.stormDone.acked), [250, 250, 250, 250]);
  const e = await a.sup.store.get('hits');
  assert.deepEqual([e.value, e.version], [2000, 2000]);

  const set = await a.ask(2, 'set', { key: 'greeting', value: { hello: 'from A' } });
  // An empty array is truthy: wait for at least one watcher's event.
  const seen = await waitFor(() => {
    const hits = b.records.filter((r) => r.watchEv?.key === 'greeting' && r.watchEv.rev === set.rev);
    return hits.length > 0 ? hits : undefined;
  }, { timeoutMs: BOOT_TIMEOUT_MS, message: "the set at master B's watchers" });
  await waitFor(() => new Set(b.records.filter((r) => r.watchEv?.rev === set.rev).map((r) => r.watchEv.from)).size === 4, { message: 'all 4 of them' });
  assert.deepEqual(seen[0].watchEv.value, { hello: 'from A' });
  b.signal('SIGTERM');
  assert.equal((await b.wait()).code, 0, b.stderr);
  await b.assertNothingLeft();
  await a.stop();
});
