// Issue 15: a worker cannot make the master parse or hold a huge IPC message.
// The worker runtime refuses an oversized process.send with
// DROVER_E_IPC_TOO_LARGE; a worker that writes one anyway (past the runtime)
// has its channel cut and is replaced, while the master keeps handing off
// connections and its memory stays bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fixture, runDrover } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { APP, fails, makeHome, processesOf } from '../helpers/daemon.js';

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

test('a 50 MB process.send is refused in the worker with DROVER_E_IPC_TOO_LARGE, thrown or passed to the callback', async (t) => {
  const d = runDrover(t, [fixture('big-send.js'), '-i', '1'], { env: { PORT: '0' } });
  const port = await d.ready();
  const pid = d.liveWorkerPids()[0];
  assert.equal((await request({ port, path: '/send?mb=50' })).body, 'DROVER_E_IPC_TOO_LARGE');
  assert.equal((await request({ port, path: '/send-cb?mb=50' })).body, 'DROVER_E_IPC_TOO_LARGE');
  // Small messages still go through, and the worker lives on.
  assert.equal((await request({ port, path: '/send?mb=1' })).body, 'sent');
  assert.equal((await request({ port, path: '/send-cb?mb=1' })).body, 'sent');
  assert.equal((await request({ port })).body.trim(), `ok ${pid}`);
  assert.deepEqual(d.events('exit'), []);
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});

test('a worker that writes 2 x 20 MB past the runtime is cut off and replaced; the master keeps serving and stays small', async (t) => {
  // A long heartbeat timeout: building 40 MB of JSON keeps the sender's own loop busy for
  // seconds on a loaded machine, and it must be cut for its message, not replaced as hung.
  const d = runDrover(t, [fixture('big-send.js'), '-i', '2', '--heartbeat-timeout-ms', '60000'], { env: { PORT: '0' } });
  const port = await d.ready();
  const before = rssBytes(d.pid);
  // The answer may or may not get out: the worker is killed once its channel is cut.
  await request({ port, path: '/raw?mb=20&n=2' }).catch(() => {});
  const cut = await d.waitEvent('ipc-too-large');
  assert.ok(cut.length > cut.limit);
  await d.waitEvent('exit', (e) => e.pid === cut.pid);
  // The master still hands connections to workers, and a replacement joins.
  for (let i = 0; i < 20; i++) assert.equal((await request({ port })).status, 200);
  await waitFor(() => d.liveWorkerPids().length === 2, { message: 'a replacement worker' });
  const grown = rssBytes(d.pid) - before;
  assert.ok(grown < 64 * 1024 * 1024, `the master grew by ${Math.round(grown / 1048576)} MB`);
  assert.deepEqual(d.events('hung'), [], 'no worker missed its heartbeats');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});

test('--ipc-max-message-bytes sets the bound for the workers (a 1 MB send is refused under 100000); out of range it is refused before anything starts', async (t) => {
  const d = runDrover(t, [fixture('big-send.js'), '-i', '1', '--ipc-max-message-bytes', '100000'], { env: { PORT: '0' } });
  const port = await d.ready();
  assert.equal((await request({ port, path: '/send?mb=1' })).body, 'DROVER_E_IPC_TOO_LARGE');
  assert.equal((await request({ port, path: '/send-cb?mb=0.05' })).body, 'sent');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);

  const home = makeHome(t);
  await fails(home, ['run', APP, '--ipc-max-message-bytes', '1000'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /--ipc-max-message-bytes: expected a number >= 65536: must be at least 65536/ });
  await fails(home, ['run', APP, '--ipc-max-message-bytes', String(2 ** 30)], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /--ipc-max-message-bytes: expected a number <= 268435456: must be at most/ });
  await fails(home, ['run', APP, '--tree-tracking', 'sometimes'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /--tree-tracking expects one of auto, cgroup, env, off/ });
  assert.deepEqual(processesOf(home), []);
});
