// The worker runtime's preload loads only what a worker needs to boot and
// listen: a replacement after a crash pays every module it loads before the
// app can listen (issue 17). node:dns (hostnames only), node:perf_hooks (the
// heartbeat reply), node:cluster (the check for an app's own cluster worker)
// and node:https (TLS servers only) load later or never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fixture, ROOT } from '../helpers/drover.js';
import { withTimeout } from '../helpers/wait.js';

const PRELOAD = path.join(ROOT, 'dist/cjs/worker/preload.js');
const LATER = ['dns', 'perf_hooks', 'cluster', 'https', 'internal/perf/event_loop_delay'];

test('a worker boots with the runtime installed and without node:dns, node:perf_hooks, node:cluster or node:https', async (t) => {
  const child = fork(fixture('loaded-modules.cjs'), [], {
    execArgv: ['--require', PRELOAD],
    env: { ...process.env, DROVER_WORKER_ID: '0', DROVER_APP: 'modules', DROVER_KILL_TIMEOUT_MS: '5000', DROVER_STOP_SIGNAL: 'SIGTERM' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let online = false;
  child.on('internalMessage', (m) => {
    if (m?.cmd === 'NODE_DROVER' && m.kind === 'online') online = true;
  });
  const { loaded } = await withTimeout(new Promise((resolve) => child.once('message', resolve)), 20_000, 'the fixture reports its modules');
  assert.ok(online, "the runtime was installed (its 'online' message came before the app's)");
  const found = LATER.filter((m) => loaded.includes(`NativeModule ${m}`));
  assert.deepEqual(found, [], `loaded at boot: ${found.join(', ')}`);
});
