// Scaling at runtime: SIGTTIN / SIGTTOU on the CLI, scale(n) on the library.
// The oldest worker goes first; a freed slot is reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { example, runDrover, superviseForTest } from '../helpers/drover.js';
import { pidsServing } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive, signalPending } from '../helpers/procs.js';

test('SIGTTIN adds a worker, SIGTTOU removes the oldest, never below 1', async (t) => {
  const d = runDrover(t, [example('hello.js'), '-i', '2'], { env: { PORT: '0' } });
  const port = await d.ready();
  const [first, second] = d.workerPids();

  d.signal('SIGTTIN');
  const up = await d.waitEvent('scale');
  assert.deepEqual([up.from, up.to], [2, 3]);
  const third = await d.waitEvent('fork', (e) => e.pid !== first && e.pid !== second);
  assert.equal(third.slot, 2);
  await d.waitEvent('ready', (e) => e.pid === third.pid);
  const seen = await pidsServing({ port, expect: [first, second, third.pid] });
  assert.equal(seen.size, 3, 'all three serve');

  d.signal('SIGTTOU');
  const down = await d.waitEvent('scale', () => true, { count: 2 });
  assert.deepEqual([down.from, down.to], [3, 2]);
  const exit = await d.waitEvent('exit');
  assert.equal(exit.pid, first, 'the oldest worker goes first');
  assert.equal(exit.reason, 'stopped');
  await waitFor(() => !isAlive(d.tracked.get(first)), { message: 'the oldest worker to end' });

  d.signal('SIGTTOU');
  await d.waitEvent('scale', () => true, { count: 3 });
  assert.equal((await d.waitEvent('exit', () => true, { count: 2 })).pid, second);

  // At 1 worker, SIGTTOU changes nothing. (Linux delivers pending signals lowest
  // number first, so SIGTTIN is sent only once SIGTTOU was taken.)
  d.signal('SIGTTOU');
  await waitFor(() => !signalPending(d.pid, 'SIGTTOU'), { message: 'SIGTTOU to be delivered' });
  d.signal('SIGTTIN');
  const back = await d.waitEvent('scale', () => true, { count: 4 });
  assert.deepEqual([back.from, back.to], [1, 2], 'the SIGTTOU at 1 worker was a no-op');
  const reused = await d.waitEvent('fork', () => true, { count: 4 });
  assert.equal(reused.slot, 0, 'the freed slot 0 is reused');
  await d.waitEvent('ready', (e) => e.pid === reused.pid);
  assert.equal(d.events('restart').length, 0, 'scaling is not restarting');

  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('scale(n) through the library: up, then down to the newest', async (t) => {
  const { sup, of, assertNothingLeft } = await superviseForTest(t, { script: example('hello.js'), env: { PORT: '0' }, instances: 1 });
  await sup.ready;
  sup.scale(3);
  await waitFor(() => sup.workers().filter((w) => w.phase === 'ready').length === 3, { message: '3 ready workers' });
  assert.deepEqual(
    sup.workers().map((w) => w.slot),
    [0, 1, 2],
  );
  const port = sup.addresses()[0].port;
  assert.equal((await pidsServing({ port, expect: sup.workers().map((w) => w.pid) })).size, 3);

  sup.scale(1);
  await waitFor(() => sup.workers().length === 1, { message: 'scale down to 1' });
  assert.equal(sup.workers()[0].slot, 2, 'the newest worker stays');
  assert.deepEqual(
    of('exit')
      .map((e) => [e.slot, e.reason])
      .sort(),
    [
      [0, 'stopped'],
      [1, 'stopped'],
    ],
  );
  assert.throws(() => sup.scale(-1), /whole number >= 0/);

  assert.deepEqual(await sup.stop(), { exitCode: 0 });
  await assertNothingLeft();
});
