// Issue 15: listen() in a worker means what it means in plain Node, in every
// balancing mode: a hostname is resolved (kernel mode bound the unresolved
// name: bind EINVAL), and two servers of one process on listen(0) get a port
// each (they shared one, and each got the other's requests).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, ROOT, runDrover } from '../helpers/drover.js';
import { waitFor } from '../helpers/wait.js';

const NODE24 = path.join(ROOT, '.cache/node24/node_modules/node/bin/node');

function get(port, host) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no response')));
    req.on('error', reject);
  });
}

const MODES = [
  { balance: 'round-robin' },
  { balance: 'kernel' },
  { balance: 'reuseport', node: NODE24, skip: existsSync(NODE24) ? false : `Node 24 not found at ${NODE24} (.ci/run installs it)` },
];

for (const { balance, node, skip } of MODES) {
  for (const host of ['127.0.0.1', 'localhost']) {
    test(`--balance ${balance}: two servers on listen(0, '${host}') in each worker get their own ports and their own requests`, { skip }, async (t) => {
      const d = runDrover(t, [fixture('two-servers.js'), '-i', '2', '--balance', balance], { env: { HOST: host }, node });
      await d.ready();
      const reports = await waitFor(() => {
        const r = d.records.filter((x) => x.fixture === 'two-servers');
        return r.length === 2 && r;
      }, { message: 'both workers to report their ports' });
      for (const r of reports) {
        assert.notEqual(r.a.port, r.b.port, `one worker's two servers got the same port: ${JSON.stringify(r)}`);
        assert.match(r.a.address, /^(127\.0\.0\.1|::1)$/);
      }
      // Across workers the first servers share a port, and so do the second ones.
      assert.equal(reports[0].a.port, reports[1].a.port);
      assert.equal(reports[0].b.port, reports[1].b.port);
      const { a, b } = reports[0];
      const target = a.address === '::1' ? '::1' : '127.0.0.1';
      for (let i = 0; i < 10; i++) {
        assert.match(await get(a.port, target), /^a \d+$/);
        assert.match(await get(b.port, target), /^b \d+$/);
      }
      d.signal('SIGTERM');
      assert.equal((await d.wait()).code, 0);
    });
  }
}

test("--balance reuseport says once when the kernel resets a closing socket's queue (net.ipv4.tcp_migrate_req=0)", { skip: MODES[2].skip }, async (t) => {
  const { readFileSync } = await import('node:fs');
  let sysctl;
  try {
    sysctl = readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim();
  } catch {
    return t.skip('no net.ipv4.tcp_migrate_req on this kernel');
  }
  const d = runDrover(t, [fixture('two-servers.js'), '-i', '2', '--balance', 'reuseport'], { env: { HOST: '127.0.0.1' }, node: NODE24 });
  await d.ready();
  const advice = d.events('reuseport-migrate');
  if (sysctl === '0') {
    assert.equal(advice.length, 1, 'said once per master');
    assert.match(advice[0].msg, /tcp_migrate_req=1/);
  } else {
    assert.equal(advice.length, 0);
  }
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
});
