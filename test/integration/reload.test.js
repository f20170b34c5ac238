// Rolling reload (issue 3): every worker replaced, readiness that can fail,
// the old workers keep serving when a replacement fails, one reload at a time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { example, fixture, runDrover, superviseForTest } from '../helpers/drover.js';
import { pidsServing, request, startLoad } from '../helpers/http.js';
import { identify, isAlive } from '../helpers/procs.js';
import { waitFor } from '../helpers/wait.js';

const base = (extra = {}) => ({
  script: fixture('ready-flag.js'),
  instances: 2,
  waitReady: true,
  killTimeoutMs: 2_000,
  readyTimeoutMs: 10_000,
  env: { PORT: '0' },
  ...extra,
});

/** Pids that answer 20 requests, each on its own connection (a failed one fails the test). */
const servingPids = (port) => pidsServing({ port, maxRequests: 20 });

function portOf(info) {
  return info.addresses[0].port;
}

test('reload replaces every worker with new pids, and the app serves throughout', async (t) => {
  const { sup } = await superviseForTest(t, base());
  const info = await sup.ready;
  const port = portOf(info);
  const before = new Set(sup.workers().map((w) => w.pid));
  assert.equal(before.size, 2);

  const result = await sup.reload(base({ env: { PORT: '0', VERSION: '2' } }));
  assert.equal(result.workers, 2);
  const after = new Set(sup.workers().map((w) => w.pid));
  assert.equal(after.size, 2);
  for (const pid of after) assert.ok(!before.has(pid), `pid ${pid} was not replaced`);
  const res = await request({ port });
  assert.equal(JSON.parse(res.body).version, '2', 'the reload uses the new config');
  const old = [...before].map(identify);
  await waitFor(() => old.every((p) => !isAlive(p)), { timeoutMs: 5_000, message: 'old workers to exit' });
});

test('a replacement that never becomes ready fails the reload within readyTimeout + 1 s; the old workers keep serving', async (t) => {
  const { sup } = await superviseForTest(t, base());
  const port = portOf(await sup.ready);
  const before = new Set(sup.workers().map((w) => w.pid));
  const started = [];
  sup.on('fork', (e) => started.push(identify(e.pid)));

  const readyTimeoutMs = 1_000;
  const t0 = Date.now();
  await assert.rejects(sup.reload(base({ env: { PORT: '0', NEVER_READY: '1' }, readyTimeoutMs })), (err) => {
    assert.equal(err.code, 'DROVER_E_RELOAD_FAILED');
    assert.match(err.message, /not ready within 1000 ms/);
    return true;
  });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed <= readyTimeoutMs + 1_000, `reload failed after ${elapsed} ms`);

  assert.deepEqual(new Set(sup.workers().filter((w) => w.phase !== 'stopping').map((w) => w.pid)), before);
  assert.deepEqual(await servingPids(port), before, 'only the old workers serve');
  assert.ok(started.length >= 1, 'the reload started a replacement');
  await waitFor(() => started.every((p) => !isAlive(p)), { timeoutMs: 5_000, message: 'the failed replacement to be gone' });
});

test('a replacement that crashes on boot fails the reload; the old workers keep serving', async (t) => {
  const { sup } = await superviseForTest(t, base());
  const port = portOf(await sup.ready);
  const before = new Set(sup.workers().map((w) => w.pid));
  await assert.rejects(sup.reload(base({ env: { PORT: '0', CRASH_ON_BOOT: '1' } })), (err) => {
    assert.equal(err.code, 'DROVER_E_RELOAD_FAILED');
    assert.match(err.message, /exited with code 1 before it was ready/);
    return true;
  });
  assert.deepEqual(await servingPids(port), before);
  // Later crashes restart with the previous, working config.
  assert.equal(sup.workers().length, 2);
});

test('a second reload while one runs is refused with a clear message', async (t) => {
  const { sup } = await superviseForTest(t, base());
  await sup.ready;
  const first = sup.reload();
  await assert.rejects(sup.reload(), (err) => {
    assert.equal(err.code, 'DROVER_E_RELOAD_REFUSED');
    assert.match(err.message, /still running/);
    return true;
  });
  await first;
});

test("PM2's process.send('ready') counts as ready", async (t) => {
  const { sup } = await superviseForTest(t, { script: fixture('pm2-ready.js'), instances: 1, waitReady: true, env: { PORT: '0' } });
  const info = await sup.ready;
  assert.equal(info.workers, 1);
});

test('SIGHUP to drover run reloads every worker', async (t) => {
  const d = runDrover(t, [fixture('ready-flag.js'), '-i', '2', '--wait-ready', '--kill-timeout-ms', '2000'], { env: { PORT: '0' } });
  await d.ready();
  const before = d.liveWorkerPids();
  d.signal('SIGHUP');
  const done = await d.waitEvent('reloaded');
  assert.equal(done.workers, 2);
  await waitFor(() => d.liveWorkerPids().length === 2 && d.liveWorkerPids().every((p) => !before.includes(p)), {
    timeoutMs: 10_000,
    message: 'both workers replaced',
  });
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

for (const app of ['graceful.js', 'hello']) {
  test(`no request fails during reloads under keep-alive load (${app === 'hello' ? 'an app that handles no signal' : 'an app that closes its server on SIGTERM'})`, async (t) => {
    const script = app === 'hello' ? example('hello.js') : fixture(app);
    const { sup } = await superviseForTest(t, { script, instances: 2, killTimeoutMs: 3_000, env: { PORT: '0' } });
    const port = portOf(await sup.ready);
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    t.after(() => agent.destroy());
    const load = startLoad({ port, agent, clients: 10 });
    try {
      for (let i = 0; i < 3; i++) {
        const before = load.counts.ok;
        await sup.reload();
        await waitFor(() => load.counts.ok > before + 50, { timeoutMs: 10_000, message: 'traffic after the reload' });
      }
    } finally {
      await load.stop();
    }
    const { ok, failures } = load.counts;
    assert.ok(ok > 150);
    assert.deepEqual(failures, [], `${failures.length} failed requests over 3 reloads`);
  });
}
