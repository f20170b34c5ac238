// Pipelined hand-off with credit-based flow control (src/protocol/handoff.ts):
// a worker whose event loop is blocked stops receiving connections once its
// window is full, and the other worker takes them; spoofed ACKs from app code
// cannot crash the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HANDOFF_WINDOW } from '../../dist/protocol/handoff.js';
import { fixture, superviseForTest } from '../helpers/drover.js';
import { pidOf, request } from '../helpers/http.js';

test('a worker blocked on CPU gets at most its hand-off window of new connections; the other worker serves the rest meanwhile', async (t) => {
  const { sup } = await superviseForTest(t, { script: fixture('busy.js'), instances: 2, env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  const blockMs = 3000;
  const blocked = pidOf((await request({ port, path: `/block?ms=${blockMs}` })).body);
  const blockedAt = Date.now();
  // Under plain round-robin (Node's cluster) half of these would wait for the blocked worker.
  const total = 4 * HANDOFF_WINDOW;
  const answers = await Promise.all(
    Array.from({ length: total }, async () => {
      const res = await request({ port, timeoutMs: 20_000 });
      assert.equal(res.status, 200);
      return { pid: pidOf(res.body), at: Date.now() - blockedAt };
    }),
  );
  const byBlocked = answers.filter((a) => a.pid === blocked);
  const others = answers.filter((a) => a.pid !== blocked);
  assert.ok(byBlocked.length <= HANDOFF_WINDOW, `${byBlocked.length} of ${total} connections waited for the blocked worker (window ${HANDOFF_WINDOW})`);
  assert.ok(others.length >= total - HANDOFF_WINDOW, `the other worker answered ${others.length}`);
  // The other worker answered while the first was still blocked.
  const early = others.filter((a) => a.at < blockMs - 500).length;
  assert.ok(early >= total - HANDOFF_WINDOW, `${early} answered during the block`);
});

test('spoofed NODE_HANDLE_ACK / NACK messages from app code do not crash the master', async (t) => {
  const { sup } = await superviseForTest(t, { script: fixture('busy.js'), instances: 2, env: { PORT: '0', SPOOF_ACKS: '20' } });
  const port = (await sup.ready).addresses[0].port;
  const pids = new Set();
  for (let i = 0; i < 40; i++) {
    const res = await request({ port });
    assert.equal(res.status, 200);
    pids.add(pidOf(res.body));
  }
  assert.equal(pids.size, 2, 'both workers keep receiving connections');
});
