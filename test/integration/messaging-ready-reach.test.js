// A worker is reachable from the moment it is ready (issue 17's connect
// grace): the master asks every worker at its 'ready' event, and every
// worker sends to the master at its first line, with nothing lost and no
// NO_ROUTE. The workers run at nice 19 from their fork on, so on a loaded
// machine the master (this process) is far ahead of them: a worker's ready
// (an IPC message) then often reaches the master long before its hub
// connection's hello, which is the window under test. Both ways of being
// ready: ready() (it waits for the hub's welcome) and a listen (it does not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { makeApp, collect, fixture } from '../helpers/messaging.js';
import { waitFor } from '../helpers/wait.js';

const WORKERS = 8;

for (const readyBy of ['call', 'listen']) {
  test(`ready by ${readyBy === 'call' ? 'ready()' : 'listen'}: a request sent at each worker's ready event is answered, and each worker's first-line send arrives (${WORKERS} workers at nice 19)`, async (t) => {
    const app = await makeApp(t, {
      script: fixture('messaging-ready-race.js'),
      instances: WORKERS,
      env: { READY_BY: readyBy },
      options: { waitReady: readyBy === 'call' },
    });
    const firstLines = collect(app.sup, 'first-line');
    const answers = [];
    app.sup.on('fork', (e) => {
      try {
        os.setPriority(e.pid, 19);
      } catch {}
    });
    // At the event itself, in the same turn as the master learns the worker is ready.
    app.sup.on('ready', (e) => {
      const asked = app.sup.messages.request(e.slot, 'echo', e.pid, { timeoutMs: 60_000 });
      answers.push(asked.then((value) => ({ pid: e.pid, value }), (err) => ({ pid: e.pid, err })));
    });
    await app.start();
    await waitFor(() => answers.length === WORKERS, { message: `${WORKERS} ready events` });
    for (const a of await Promise.all(answers)) {
      assert.equal(a.err, undefined, `worker pid ${a.pid}: ${a.err?.code}: ${a.err?.message}`);
      assert.deepEqual(a.value, { payload: a.pid, pid: a.pid });
    }
    await waitFor(() => firstLines.length === WORKERS, { message: `${WORKERS} first-line messages (got ${firstLines.length})` });
    assert.deepEqual(firstLines.map((m) => m.from).sort((a, b) => a - b), [...Array(WORKERS).keys()]);
    await app.stop();
  });
}
