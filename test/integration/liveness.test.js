// Liveness and recycling (issue 3): hung workers (blocked loop, SIGSTOP) are
// replaced within heartbeatTimeout + killTimeout + 1 s; memory and request
// limits replace a worker gracefully, without a failed request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { example, fixture, superviseForTest } from '../helpers/drover.js';
import { pidOf, request, startLoad } from '../helpers/http.js';
import { identify, isAlive } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const HB = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_000, killTimeoutMs: 1_000 };
const BOUND_MS = HB.heartbeatTimeoutMs + HB.killTimeoutMs + 1_000;

test('a worker whose event loop is blocked after ready is replaced within heartbeatTimeout + killTimeout + 1 s', async (t) => {
  const { sup, records: events } = await superviseForTest(t, { script: fixture('blocked-loop.js'), instances: 1, ...HB, env: { PORT: '0' }, maxRestarts: 100 });
  await sup.ready;
  const first = sup.workers()[0];
  const readyAt = Date.now();
  const hung = await waitFor(() => events.find((e) => e.event === 'hung' && e.wid === first.wid), { timeoutMs: 10_000, message: 'hung event' });
  assert.ok(hung.silentMs >= HB.heartbeatTimeoutMs);
  const exit = await waitFor(() => events.find((e) => e.event === 'exit' && e.wid === first.wid), { timeoutMs: 10_000, message: 'the hung worker to exit' });
  assert.equal(exit.reason, 'hung');
  assert.equal(exit.signal, 'SIGKILL', 'a blocked loop cannot drain: SIGKILL at the deadline');
  assert.ok(exit.at - readyAt <= BOUND_MS + 200, `replaced after ${exit.at - readyAt} ms`);
  assert.ok(events.some((e) => e.event === 'fork' && e.wid !== first.wid && e.at <= exit.at), 'replacement forked before the hung one was killed');
});

test('a SIGSTOPped worker is replaced within heartbeatTimeout + killTimeout + 1 s', async (t) => {
  const { sup, records: events } = await superviseForTest(t, { script: example('hello.js'), instances: 2, ...HB, env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  const victim = sup.workers()[0];
  const proc = identify(victim.pid);
  const stoppedAt = Date.now();
  process.kill(victim.pid, 'SIGSTOP');
  const exit = await waitFor(() => events.find((e) => e.event === 'exit' && e.wid === victim.wid), { timeoutMs: 10_000, message: 'the stopped worker to exit' });
  assert.equal(exit.reason, 'hung');
  assert.ok(exit.at - stoppedAt <= BOUND_MS, `replaced after ${exit.at - stoppedAt} ms`);
  assert.ok(!isAlive(proc));
  await waitFor(() => sup.workers().filter((w) => w.phase === 'ready').length === 2, { timeoutMs: 10_000, message: 'two ready workers again' });
  assert.equal((await request({ port })).status, 200);
});

test('a worker over maxMemory is replaced gracefully, with no failed request', async (t) => {
  const { sup, records: events } = await superviseForTest(t, {
    script: fixture('memory-hog.js'),
    instances: 1,
    maxMemory: '150M',
    heartbeatIntervalMs: 200,
    killTimeoutMs: 2_000,
    maxRestarts: 100,
    env: { PORT: '0', HOG_MB_PER_TICK: '4' },
  });
  const port = (await sup.ready).addresses[0].port;
  const first = sup.workers()[0];
  const load = startLoad({ port, timeoutMs: 5_000 });
  try {
    const recycle = await waitFor(() => events.find((e) => e.event === 'recycle' && e.wid === first.wid), { timeoutMs: 20_000, message: 'recycle event' });
    assert.equal(recycle.reason, 'memory');
    assert.ok(recycle.value > 150 * 1024 * 1024);
    const exit = await waitFor(() => events.find((e) => e.event === 'exit' && e.wid === first.wid), { timeoutMs: 10_000, message: 'the old worker to exit' });
    assert.equal(exit.reason, 'replaced');
  } finally {
    await load.stop();
  }
  assert.ok(load.counts.ok > 0);
  assert.deepEqual(load.counts.failures, [], `${load.counts.failures.length} failed requests during the memory recycle`);
});

test('maxRequests replaces a worker after that many requests', async (t) => {
  const { sup, records: events } = await superviseForTest(t, {
    script: example('hello.js'),
    instances: 1,
    maxRequests: 20,
    heartbeatIntervalMs: 100,
    env: { PORT: '0' },
  });
  const port = (await sup.ready).addresses[0].port;
  const first = sup.workers()[0];
  for (let i = 0; i < 19; i++) assert.equal((await request({ port })).status, 200);
  assert.equal(events.filter((e) => e.event === 'recycle').length, 0, 'not recycled before the limit');
  for (let i = 0; i < 2; i++) assert.equal((await request({ port })).status, 200);
  const recycle = await waitFor(() => events.find((e) => e.event === 'recycle'), { timeoutMs: 10_000, message: 'recycle event' });
  assert.equal(recycle.reason, 'max-requests');
  assert.equal(recycle.wid, first.wid);
  assert.ok(recycle.value >= 20);
  await waitFor(() => events.find((e) => e.event === 'exit' && e.wid === first.wid), { timeoutMs: 10_000, message: 'the old worker to exit' });
  assert.equal((await request({ port })).status, 200);
});

test('a hot spare takes a dead worker\'s place at once and a new spare is started behind it', async (t) => {
  const { sup, records: events } = await superviseForTest(t, { script: example('hello.js'), instances: 1, spares: 1, env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  await waitFor(() => sup.workers().filter((w) => w.phase === 'ready').length === 2, { timeoutMs: 10_000, message: 'the spare to be ready' });
  const active = sup.workers().find((w) => w.role === 'active');
  const spare = sup.workers().find((w) => w.role === 'spare');
  // The spare gets no traffic.
  for (let i = 0; i < 6; i++) assert.equal(pidOf((await request({ port })).body), active.pid);
  process.kill(active.pid, 'SIGKILL');
  const promoted = await waitFor(() => events.find((e) => e.event === 'promote'), { timeoutMs: 10_000, message: 'promotion' });
  assert.equal(promoted.wid, spare.wid);
  assert.equal(pidOf((await request({ port })).body), spare.pid);
  await waitFor(() => sup.workers().some((w) => w.role === 'spare' && w.phase === 'ready'), { timeoutMs: 10_000, message: 'a new spare' });
});
