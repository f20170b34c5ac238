// Issue 15: rolling reloads under load with a new connection per request lose
// nothing. The hand-offs still in a worker's IPC pipe when it leaves are read
// and sent back before it exits (src/worker/close-barrier.ts); kernel mode
// shares one listening socket, whose queue outlives any one worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { example, fixture, runDrover } from '../helpers/drover.js';
import { countKinds, startLoad } from '../helpers/load.js';
import { waitFor } from '../helpers/wait.js';

const RELOADS = 10;

async function reloadsUnderLoad(t, { script, balance }) {
  const d = runDrover(t, [script, '-i', '2', '--balance', balance, '--kill-timeout-ms', '3000'], { env: { PORT: '0' } });
  const port = await d.ready();
  const load = startLoad({ port, loops: 20 });
  t.after(() => load.stop());
  for (let i = 1; i <= RELOADS; i++) {
    const before = load.stats.ok;
    d.signal('SIGHUP');
    const done = await d.waitEvent('reloaded', () => true, { count: i, timeoutMs: 20_000 });
    assert.equal(done.workers, 2);
    // Traffic between reloads, so that every reload happens under load.
    await waitFor(() => load.stats.ok > before + 20, { timeoutMs: 10_000, message: `traffic after reload ${i}` });
  }
  const { ok, failures } = await load.stop();
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  assert.equal(d.events('reload-failed').length, 0);
  assert.deepEqual(countKinds(failures), {}, `${failures.length} of ${ok + failures.length} requests failed over ${RELOADS} reloads`);
}

for (const balance of ['round-robin', 'kernel']) {
  test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance ${balance}, an app that handles no signal)`, (t) =>
    reloadsUnderLoad(t, { script: example('hello.js'), balance }));
}

// Sticky: the listener's other queueing path; graceful.js exits in its close callback.
test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance sticky, an app that exits once its server.close() calls back)`, (t) =>
  reloadsUnderLoad(t, { script: fixture('graceful.js'), balance: 'sticky' }));
