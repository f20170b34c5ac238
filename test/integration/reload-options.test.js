// What a reload changes, with real processes (issue 11): options the master
// runs for the whole app (heartbeat, balancer strategy, watch/cron triggers)
// take effect on a reload, and a change only a restart can make is refused
// before anything changes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { example, superviseForTest } from '../helpers/drover.js';
import { pidsServing, request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const base = (overrides = {}) => ({ script: example('hello.js'), instances: 2, env: { PORT: '0' }, killTimeoutMs: 1_000, maxRestarts: 100, ...overrides });

test('heartbeat off → on by a reload: workers that answer are never hung, a silent one is', async (t) => {
  const { sup } = await superviseForTest(t, base({ heartbeatIntervalMs: 0 }));
  const hung = [];
  sup.on('hung', (e) => hung.push(e));
  await sup.ready;
  await sup.reload(base({ heartbeatIntervalMs: 300, heartbeatTimeoutMs: 1_000 }));
  const [victim, healthy] = sup.workers().filter((w) => w.phase === 'ready');
  // The heartbeat must really be on: a stopped worker is found silent.
  process.kill(victim.pid, 'SIGSTOP');
  await waitFor(() => hung.some((e) => e.wid === victim.wid), { timeoutMs: 15_000, message: 'the stopped worker to be found hung' });
  // Observe the healthy one through several timeouts: answering each ping, it is never hung.
  await waitFor(() => sup.workers().find((w) => w.wid === healthy.wid)?.uptimeMs > 4_000, { timeoutMs: 15_000, message: 'the healthy worker to run through 4 heartbeat timeouts' });
  assert.deepEqual(hung.map((e) => e.wid), [victim.wid], 'only the stopped worker was hung');
});

test('balance change by a reload: the new strategy is used (round-robin → sticky)', async (t) => {
  const { sup } = await superviseForTest(t, base({ balance: 'round-robin' }));
  const port = (await sup.ready).addresses[0].port;
  const first = new Set(sup.workers().map((w) => w.pid));
  assert.equal((await pidsServing({ port, expect: first })).size, 2, 'round-robin: both workers serve');

  await sup.reload(base({ balance: 'sticky' }));
  // One client address: sticky sends every new connection to the same worker.
  const seen = new Set();
  for (let i = 0; i < 20; i++) seen.add((await request({ port })).body.trim().split(/\s+/).pop());
  assert.equal(seen.size, 1, `sticky after the reload: one worker for one client, saw ${[...seen]}`);

  await sup.reload(base({ balance: 'round-robin' }));
  const now = new Set(sup.workers().filter((w) => w.phase === 'ready').map((w) => w.pid));
  assert.equal((await pidsServing({ port, expect: now })).size, 2, 'and back to round-robin');
});

function appDir(t) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'drover-reload-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'server.js'), readFileSync(example('hello.js'), 'utf8'));
  return dir;
}

test('watch turned on by a reload: a later change reloads; turned off again: it does not', async (t) => {
  const dir = appDir(t);
  const opts = (extra) => base({ script: 'server.js', cwd: dir, instances: 1, watchDebounceMs: 100, ...extra });
  const { sup } = await superviseForTest(t, opts({}));
  const requests = [];
  let watching = 0;
  sup.on('reload-requested', (e) => requests.push(e.trigger));
  sup.on('watching', () => watching++);
  let reloaded = 0;
  sup.on('reloaded', () => reloaded++);
  await sup.ready;
  await sup.reload(opts({ watch: ['**/*.conf'] }));
  await waitFor(() => watching === 1, { timeoutMs: 10_000, message: 'the watcher to be ready' });
  writeFileSync(path.join(dir, 'app.conf'), 'one\n');
  await waitFor(() => requests.length === 1, { timeoutMs: 10_000, message: 'a reload after the change' });
  assert.deepEqual(requests, ['change of app.conf']);
  await waitFor(() => reloaded === 2, { timeoutMs: 15_000, message: 'the reload by the watcher to end' });

  let triggers = 0;
  sup.on('triggers', () => triggers++);
  // The watcher stops and a cron schedule starts, on one reload.
  await sup.reload(opts({ watch: false, cronRestart: '* * * * * *' }));
  assert.equal(sup.current.watch, false);
  await waitFor(() => triggers >= 1, { timeoutMs: 10_000, message: 'the cron trigger to start' });
  writeFileSync(path.join(dir, 'app.conf'), 'two\n');
  await waitFor(() => requests.some((r) => r.startsWith('cron')), { timeoutMs: 10_000, message: 'a reload by the new cron schedule' });
  assert.ok(!requests.slice(1).some((r) => r.startsWith('change')), `no reload by the stopped watcher: ${requests}`);
});

test('a reload that changes how ports are shared is refused before anything changes (DROVER_E_RELOAD_NEEDS_RESTART)', async (t) => {
  const { sup } = await superviseForTest(t, base({ balance: 'round-robin' }));
  const port = (await sup.ready).addresses[0].port;
  const before = sup.workers().map((w) => w.pid);
  await assert.rejects(sup.reload(base({ balance: 'kernel' })), (err) => {
    assert.equal(err.code, 'DROVER_E_RELOAD_NEEDS_RESTART');
    assert.equal(err.exitCode, 86);
    assert.match(err.message, /restart the app/);
    return true;
  });
  assert.deepEqual(sup.workers().map((w) => w.pid), before, 'the same workers');
  assert.equal(sup.current.balance, 'round-robin');
  assert.equal((await request({ port })).status, 200);
});
