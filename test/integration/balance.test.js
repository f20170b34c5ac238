// Connection balancing (issue 4): every strategy serves real traffic with two
// workers; sticky keeps a client address on one worker; kernel and reuseport
// modes; keep-alive rebalancing after a worker is replaced.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { example, NODE24, runDrover, superviseForTest } from '../helpers/drover.js';
import { pidOf, request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { nodeHasSince, REUSEPORT_SINCE } from '../../dist/platform/node-version.cjs';

/** The pid that answers one request from a given local address (127.0.0.x), on its own connection. */
const getFrom = async (port, localAddress) => pidOf((await request({ port, localAddress })).body);

for (const balance of ['round-robin', 'least-connections', 'least-loaded', 'weighted', 'kernel']) {
  test(`balance ${balance}: two workers serve real traffic`, async (t) => {
    const { sup } = await superviseForTest(t, { script: example('hello.js'), instances: 2, balance, env: { PORT: '0' } });
    const port = (await sup.ready).addresses[0].port;
    const pids = new Set(sup.workers().map((w) => w.pid));
    const seen = new Map();
    await waitFor(
      async () => {
        const res = await request({ port });
        assert.equal(res.status, 200);
        const pid = pidOf(res.body);
        seen.set(pid, (seen.get(pid) ?? 0) + 1);
        return seen.size === 2;
      },
      { timeoutMs: 15_000, intervalMs: 0, message: `both workers to answer under ${balance}` },
    );
    for (const pid of seen.keys()) assert.ok(pids.has(pid));
    if (balance !== 'kernel') {
      const handed = sup.workers().map((w) => w.connectionsHanded);
      assert.ok(handed.every((n) => n > 0), `connections handed per worker: ${handed}`);
    }
  });
}

test('sticky: every connection from one client address reaches the same worker', async (t) => {
  const { sup } = await superviseForTest(t, { script: example('hello.js'), instances: 2, balance: 'sticky', env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  const byAddress = new Map();
  for (let host = 1; host <= 12; host++) {
    const address = `127.0.0.${host}`;
    const pids = new Set();
    for (let i = 0; i < 8; i++) pids.add(await getFrom(port, address));
    assert.equal(pids.size, 1, `${address} reached ${[...pids]}`);
    byAddress.set(address, [...pids][0]);
  }
  assert.equal(new Set(byAddress.values()).size, 2, 'twelve addresses spread over both workers');
});

test('weighted: a worker with weight 3 gets three times the connections', async (t) => {
  const { sup } = await superviseForTest(t, { script: example('hello.js'), instances: 2, balance: 'weighted', weights: [3, 1], env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  const counts = new Map();
  for (let i = 0; i < 40; i++) {
    const pid = pidOf((await request({ port })).body);
    counts.set(pid, (counts.get(pid) ?? 0) + 1);
  }
  const slot0 = sup.workers().find((w) => w.slot === 0).pid;
  assert.equal(counts.get(slot0), 30, `slot 0 served ${counts.get(slot0)} of 40`);
});

test('keep-alive clients move to a replacement worker: rebalancing after a SIGKILL', async (t) => {
  const { sup } = await superviseForTest(t, { script: example('hello.js'), instances: 2, env: { PORT: '0' } });
  const port = (await sup.ready).addresses[0].port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  t.after(() => agent.destroy());
  const get = async () => pidOf((await request({ port, agent })).body);
  const burst = () => Promise.all(Array.from({ length: 20 }, get));
  await burst();
  const victim = sup.workers()[0];
  process.kill(victim.pid, 'SIGKILL');
  // Survivors take every connection while the victim is replaced...
  await waitFor(() => sup.workers().filter((w) => w.phase === 'ready' && w.wid !== victim.wid).length === 2, {
    timeoutMs: 10_000,
    message: 'a ready replacement',
  });
  const replacement = sup.workers().find((w) => w.slot === victim.slot && w.wid !== victim.wid);
  // ...then the replacement gets its share of the same keep-alive clients.
  let failures = 0;
  await waitFor(
    async () => {
      const pids = await burst().catch(() => {
        failures++;
        return [];
      });
      return pids.filter((p) => p === replacement.pid).length >= 5;
    },
    { timeoutMs: 10_000, intervalMs: 50, message: 'the replacement to serve keep-alive clients' },
  );
  assert.equal(failures, 0, 'rebalancing never fails a request');
});

test('reuseport: each worker binds its own socket (Node >= 22.12)', { skip: existsSync(NODE24) ? false : `Node 24 not found at ${NODE24} (.ci/run installs it)` }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2', '--balance', 'reuseport'], { env: { PORT: '0' }, node: NODE24 });
  const port = await d.ready();
  const seen = new Set();
  await waitFor(
    async () => {
      seen.add(pidOf((await request({ port })).body));
      return seen.size === 2;
    },
    { timeoutMs: 15_000, intervalMs: 0, message: 'both reuseport workers to answer' },
  );
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('reuseport on Node < 22.12 is a clear error', { skip: nodeHasSince(REUSEPORT_SINCE) ? 'this Node supports reusePort' : false }, async (t) => {
  const d = runDrover(t, [example('hello.js'), '--balance', 'reuseport'], { env: { PORT: '0' } });
  const { code } = await d.wait();
  assert.equal(code, 65);
  assert.match(d.errorLine(), /needs Node >= 22\.12 .*--balance kernel.*\[DROVER_E_INVALID_OPTION\]/);
});

test('NODE_CLUSTER_SCHED_POLICY=none selects kernel balancing when balance is not set', async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0', NODE_CLUSTER_SCHED_POLICY: 'none' } });
  const port = await d.ready();
  assert.equal(d.events('started')[0].balance, 'kernel');
  assert.equal((await request({ port })).status, 200);
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});
