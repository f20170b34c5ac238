// Port sharing with real processes: the master owns the socket (port 0 or a
// unix socket path) and hands connections to every worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { example, fixture, runDrover, superviseForTest, BOOT_TIMEOUT_MS } from '../helpers/drover.js';
import { pidsServing, request } from '../helpers/http.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

test('2 workers share one port (listen(0)) and both serve', async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  const port = await d.ready();

  // The human line on stderr says where it listens; it agrees with the events.
  const line = await waitFor(() => /drover: hello: 2 workers ready in \d+ ms, listening on \[::\]:(\d+)/.exec(d.stderr), { message: 'the ready line on stderr' });
  assert.equal(Number(line[1]), port);
  assert.ok(port > 0, 'listen(0) got a real port');
  const listening = d.events('listening');
  assert.equal(listening.length, 2);
  assert.equal(new Set(listening.map((e) => e.address)).size, 1, `both workers on one address: ${listening.map((e) => e.address)}`);

  const workers = d.workerPids();
  assert.equal(new Set(workers).size, 2);
  const seen = await pidsServing({ port, expect: workers });
  assert.deepEqual([...seen].sort(), [...workers].sort(), 'every worker answered, and nobody else');

  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('each worker gets its slot in DROVER_WORKER_ID and NODE_APP_INSTANCE, its args and env', async (t) => {
  const d = runDrover(t, [fixture('whoami.js'), '-i', '2', '--env', 'GREETING=hi', '--', '--flag', 'value'], { env: { PORT: '0' } });
  const port = await d.ready();
  const bySlot = new Map();
  await waitFor(
    async () => {
      const who = JSON.parse((await request({ port })).body);
      bySlot.set(who.workerId, who);
      return bySlot.size === 2;
    },
    { timeoutMs: BOOT_TIMEOUT_MS, message: 'answers from both slots' },
  );
  for (const slot of ['0', '1']) {
    const who = bySlot.get(slot);
    assert.equal(who.appInstance, slot);
    assert.deepEqual(who.args, ['--flag', 'value']);
    assert.equal(who.greeting, 'hi');
    assert.equal(d.events('fork', (e) => e.pid === who.pid)[0].slot, Number(slot));
  }
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('SIGKILL of a worker: a replacement in the same slot serves', async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  const port = await d.ready();
  const [victim, survivor] = d.workerPids();
  const slot = d.events('fork', (e) => e.pid === victim)[0].slot;

  process.kill(victim, 'SIGKILL');
  const exit = await d.waitEvent('exit', (e) => e.pid === victim);
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.reason, 'crashed');
  const restart = await d.waitEvent('restart');
  assert.equal(restart.slot, slot);
  const fork = await d.waitEvent('fork', (e) => e.pid !== victim && e.pid !== survivor);
  assert.equal(fork.slot, slot, 'the replacement reuses the slot');
  await d.waitEvent('ready', (e) => e.pid === fork.pid);

  // Every answer now comes from a live worker, and the replacement takes its share.
  const seen = await pidsServing({ port, expect: [fork.pid, survivor] });
  assert.ok(seen.has(fork.pid), 'the replacement serves');
  assert.ok(!seen.has(victim));

  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('a unix socket path is shared too (library API)', async (t) => {
  const dir = tempDir(t, 'drover-test-');
  const socketPath = path.join(dir, 'app.sock');
  const { sup, of, assertNothingLeft } = await superviseForTest(t, { script: fixture('listen-path.js'), instances: 2, env: { SOCKET_PATH: socketPath } });
  const info = await sup.ready;
  assert.equal(info.workers, 2);
  assert.deepEqual(info.addresses, [{ type: 'pipe', path: socketPath }]);
  assert.deepEqual(
    of('listening').map((e) => e.address),
    [socketPath, socketPath],
  );
  const workers = of('fork').map((e) => e.pid);
  const seen = await pidsServing({ socketPath, expect: workers });
  assert.deepEqual([...seen].sort(), [...workers].sort());

  const outcome = await sup.stop();
  assert.deepEqual(outcome, { exitCode: 0 });
  await assertNothingLeft();
});
