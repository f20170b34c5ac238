// Stopping with real processes: drain what is in flight, kill what does not
// stop by the deadline, end each worker's whole tree, exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { example, fixture, runDrover, superviseForTest } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { assertAllGone, reportedChildren } from '../helpers/procs.js';
import { tempDir } from '../helpers/tmp.js';

test('SIGTERM with 20 slow requests in flight: all 20 complete with 200, then exit 0', async (t) => {
  const d = runDrover(t, [fixture('slow.js'), '-i', '2'], { env: { PORT: '0' } });
  const port = await d.ready();
  const workers = d.workerPids();

  // Long enough that all 20 are surely still running when the signal arrives.
  const responses = Array.from({ length: 20 }, () =>
    request({ port, path: '/?ms=3000', timeoutMs: 30_000 }).then((res) => ({ ...res, at: Date.now() })),
  );
  await waitFor(() => d.records.filter((r) => r.fixture === 'request-start').length === 20, { message: '20 requests in flight' });
  d.signal('SIGTERM');

  const results = await Promise.all(responses);
  assert.deepEqual(
    results.map((r) => r.status),
    Array(20).fill(200),
  );
  for (const r of results) assert.ok(workers.includes(Number(r.body.trim())), `answered by a worker: ${r.body}`);

  const exit = await d.wait();
  assert.equal(exit.code, 0);
  assert.ok(exit.at >= Math.max(...results.map((r) => r.at)), 'the master exits after the last response');
  assert.deepEqual(
    d.events('exit').map((e) => [e.reason, e.code]),
    [
      ['stopped', 0],
      ['stopped', 0],
    ],
  );
  assert.equal(d.events('fork').length, 2, 'nothing restarted during the stop');
  await d.assertNothingLeft();
});

test('a worker that ignores SIGTERM is killed after --kill-timeout-ms; the master still exits 0', async (t) => {
  const killTimeoutMs = 1_000;
  const d = runDrover(t, [fixture('ignore-sigterm.js'), '--kill-timeout-ms', String(killTimeoutMs)], { env: { PORT: '0' } });
  await d.ready();
  const [worker] = d.workerPids();

  d.signal('SIGTERM');
  const exit = await d.wait();
  assert.equal(exit.code, 0);

  const stopping = d.events('stopping')[0];
  const exited = d.events('exit', (e) => e.pid === worker)[0];
  assert.equal(exited.reason, 'killed');
  assert.equal(exited.signal, 'SIGKILL');
  // pino's `time` is wall-clock ms; the kill timer may fire a ms early by rounding.
  const waitedMs = exited.time - stopping.time;
  assert.ok(waitedMs >= killTimeoutMs - 5, `killed after the deadline (waited ${waitedMs} ms)`);
  await d.assertNothingLeft();
});

test('a second SIGTERM forces: the worker is killed at once', async (t) => {
  const d = runDrover(t, [fixture('ignore-sigterm.js'), '--kill-timeout-ms', '60000'], { env: { PORT: '0' } });
  await d.ready();
  d.signal('SIGTERM');
  await d.waitEvent('stopping');
  d.signal('SIGTERM');
  await d.waitEvent('stopping', (e) => e.force === true);
  const exit = await d.wait({ timeoutMs: 10_000 });
  assert.equal(exit.code, 0);
  assert.equal(d.events('exit')[0].reason, 'killed');
  await d.assertNothingLeft();
});

test('SIGINT stops like SIGTERM', async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  await d.ready();
  d.signal('SIGINT');
  assert.equal((await d.wait()).code, 0);
  assert.equal(d.events('exit', (e) => e.reason === 'stopped').length, 2);
  await d.assertNothingLeft();
});

test("stop() ends each worker's whole tree, children included (library API)", async (t) => {
  const dir = tempDir(t, 'drover-test-');
  const { sup, of, assertNothingLeft } = await superviseForTest(t, { script: fixture('spawn-child.js'), instances: 2, env: { PORT: '0', CHILD_PID_DIR: dir } });
  await sup.ready;
  const workers = of('fork').map((e) => e.pid);
  const children = await reportedChildren(t, dir, 2);
  assert.equal((await request({ port: sup.addresses()[0].port })).status, 200);

  assert.deepEqual(await sup.stop(), { exitCode: 0 });
  await assertNothingLeft();
  await assertAllGone(children, { what: `children of workers ${workers.join(', ')}` });
});
