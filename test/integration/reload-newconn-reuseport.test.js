// Issue 15: rolling reloads under new-connection-per-request load lose nothing
// (--balance reuseport, Node 24). The master binds one reuseport socket per
// worker slot and a replacement gets its predecessor's (src/runtime/reuseport-slots.ts),
// so a reload closes no listening socket and no queued connection is reset,
// whatever net.ipv4.tcp_migrate_req says.
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { example, NODE24, runDrover } from '../helpers/drover.js';
import { pidOf, request } from '../helpers/http.js';
import { RELOADS, reloadsUnderLoad } from '../helpers/reloads.js';

test(`${RELOADS} reloads under new-connection-per-request load lose no request (--balance reuseport)`, { skip: existsSync(NODE24) ? false : `Node 24 not found at ${NODE24} (.ci/run installs it)` }, (t) =>
  reloadsUnderLoad(t, { script: example('hello.js'), balance: 'reuseport', node: NODE24 }));

test('reuseport: the socket of a slot left with no worker is closed, so no connection waits on it', { skip: existsSync(NODE24) ? false : `Node 24 not found at ${NODE24}` }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2', '--balance', 'reuseport', '--restart', 'never'], { env: { PORT: '0' }, node: NODE24 });
  const port = await d.ready();
  const [victim, survivor] = d.liveWorkerPids();
  process.kill(victim, 'SIGKILL');
  await d.waitEvent('exit', (e) => e.pid === victim);
  // Left open, the dead worker's socket would take about half of the new connections and answer none.
  for (let i = 0; i < 40; i++) {
    const res = await request({ port, timeoutMs: 5_000 });
    assert.equal(pidOf(res.body), survivor);
  }
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});
