// Issue 15: a worker that dies costs no more than its own connections. The
// hand-offs still in its IPC pipe (or written after it died) are the
// master's to give to another worker: a connection whose request nobody has
// read yet goes to a live worker instead of being reset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, superviseForTest } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

test('connections handed to a worker that is SIGKILLed before reading them are served by another worker', async (t) => {
  const { sup } = await superviseForTest(t, {
    script: fixture('busy.js'),
    instances: 2,
    balance: 'round-robin',
    // Its loop is blocked on purpose: it must die by our SIGKILL, not be replaced as hung first.
    heartbeatTimeoutMs: 60_000,
    env: { PORT: '0' },
  });
  const port = (await sup.ready).addresses[0].port;
  // This worker answers, then blocks its event loop: whatever is handed to it waits in its pipe.
  const blocked = Number((await request({ port, path: '/block?ms=60000' })).body.trim());
  const wid = sup.workers().find((w) => w.pid === blocked).wid;
  const handedBefore = sup.workers().find((w) => w.wid === wid).connectionsHanded;
  const results = Array.from({ length: 16 }, () =>
    request({ port, timeoutMs: 20_000 }).then(
      (res) => res.status,
      (err) => err.code ?? err.message,
    ),
  );
  await waitFor(() => sup.workers().find((w) => w.wid === wid).connectionsHanded >= handedBefore + 4, {
    message: 'connections handed to the blocked worker',
  });
  process.kill(blocked, 'SIGKILL');
  const statuses = await Promise.all(results);
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    `requests whose connection was handed to the killed worker: ${JSON.stringify(statuses)}`,
  );
});
