// Least-connections with a worker whose event loop is blocked (issue 17): the
// worker answers GET /block?ms=200 and then burns CPU for 200 ms. Its count
// still says one open connection (it cannot report the close), and the other
// worker's count may include closes it has not reported yet: plain counting
// ties them. The master's own clock breaks the tie (strategies/stalled.ts): the
// blocked worker has held its connection without a report for longer. Round-
// robin is the control: it sends the second connection to the blocked worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, superviseForTest } from '../helpers/drover.js';
import { pidOf, request } from '../helpers/http.js';

const BLOCK_MS = 200;
const NEXT = 3;

/** The pid that answered /block, then the pids of the next NEXT connections, one after the other. */
async function afterBlock(t, balance) {
  const { sup } = await superviseForTest(t, { script: fixture('busy.js'), instances: 2, balance, env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  // Both workers have served (and reported) before the block, as in a running app.
  for (let i = 0; i < 4; i++) await request({ port });
  const blocked = pidOf((await request({ port, path: `/block?ms=${BLOCK_MS}` })).body);
  const next = [];
  for (let i = 0; i < NEXT; i++) next.push(pidOf((await request({ port })).body));
  return { blocked, next };
}

test(`least-connections: the ${NEXT} connections after a worker starts a ${BLOCK_MS} ms block go to the other worker`, async (t) => {
  const { blocked, next } = await afterBlock(t, 'least-connections');
  assert.deepEqual(
    next.map((pid) => pid === blocked),
    Array(NEXT).fill(false),
    `answered by the blocked worker (${blocked}): ${next.map((p) => (p === blocked ? 'blocked' : 'other')).join(', ')}`,
  );
});

test('control: round-robin sends one of the next two connections to the blocked worker', async (t) => {
  const { blocked, next } = await afterBlock(t, 'round-robin');
  assert.ok(next.slice(0, 2).includes(blocked), `first two answered by ${next.slice(0, 2)}; blocked ${blocked}`);
});
