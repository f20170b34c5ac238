// Crashes with real processes: a crash loop ends in give-up, an uncaught
// exception is replaced at once while the crashing worker finishes its work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runDrover, superviseForTest } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { isAlive } from '../helpers/procs.js';

test('crash loop: giveup after exactly maxRestarts restarts within the window, exit 71', async (t) => {
  const d = runDrover(
    t,
    [fixture('crash-after-ready.js'), '--max-restarts', '3', '--restart-window-ms', '60000', '--restart-delay-ms', '10', '--max-restart-delay-ms', '40'],
    { env: { PORT: '0', CRASH_DELAY_MS: '50' } },
  );
  const { code } = await d.wait({ timeoutMs: 30_000 });
  assert.equal(code, 71);
  assert.match(d.errorLine() ?? d.stderr, /^drover: workers crashed 4 times within 60000 ms .* \[DROVER_E_GIVEUP\]$/);

  assert.equal(d.events('restart').length, 3, 'exactly maxRestarts restarts');
  assert.deepEqual(
    d.events('restart').map((e) => e.restartsInWindow),
    [1, 2, 3],
  );
  const giveups = d.events('giveup');
  assert.equal(giveups.length, 1);
  assert.equal(giveups[0].restarts, 3);
  assert.equal(d.events('fork').length, 4, 'the first worker and 3 restarts');
  // The give-up comes after the 4th crash, and nothing is started after it.
  const giveupAt = d.records.indexOf(giveups[0]);
  assert.equal(d.records.slice(giveupAt).filter((r) => r.event === 'fork').length, 0);
  assert.equal(d.events('crash').length, 4);
  assert.deepEqual(d.events('stopped').map((e) => e.exitCode), [71]);
  await d.assertNothingLeft();
});

test('crash loop through the library: done resolves with exit code 71 and DROVER_E_GIVEUP', async (t) => {
  const { sup, of, assertNothingLeft } = await superviseForTest(t, {
    script: fixture('crash-after-ready.js'),
    env: { PORT: '0', CRASH_DELAY_MS: '20' },
    maxRestarts: 2,
    restartDelayMs: 0,
  });
  await sup.ready;
  const outcome = await sup.done;
  assert.equal(outcome.exitCode, 71);
  assert.equal(outcome.error.code, 'DROVER_E_GIVEUP');
  assert.equal(of('restart').length, 2);
  assert.equal(of('giveup').length, 1);
  await assertNothingLeft();
});

test('uncaughtException: the replacement is forked before the old worker exits, and an in-flight request completes', async (t) => {
  // The /throw request never gets an answer, so the crashed worker drains until
  // its deadline (kill timeout minus a margin): long enough to observe it alive.
  const d = runDrover(t, [fixture('uncaught-in-request.js'), '--kill-timeout-ms', '4000'], { env: { PORT: '0' } });
  const port = await d.ready();
  const [old] = d.workerPids();

  const slow = request({ port, path: '/slow?ms=1500' });
  await waitFor(() => d.records.some((r) => r.fixture === 'slow-start'), { message: 'the slow request to reach the worker' });
  const thrown = request({ port, path: '/throw' }).then(
    (res) => res,
    (err) => err,
  );

  const crash = await d.waitEvent('crash', (e) => e.pid === old);
  assert.match(crash.error, /Error: uncaught-in-request: boom/);
  const fork = await d.waitEvent('fork', (e) => e.pid !== old);
  assert.equal(fork.slot, 0);
  await d.waitEvent('ready', (e) => e.pid === fork.pid);

  // The crashed worker is out of the balancer: new connections go to the replacement.
  for (let i = 0; i < 3; i++) {
    const res = await request({ port });
    assert.equal(res.status, 200);
    assert.equal(res.body, `pid ${fork.pid}\n`);
  }

  const res = await slow;
  assert.equal(res.status, 200);
  assert.equal(res.body, `slow done by ${old}\n`);

  const exit = await d.waitEvent('exit', (e) => e.pid === old);
  assert.equal(exit.reason, 'crashed');
  assert.equal(exit.code, 1);
  assert.ok(
    d.records.indexOf(fork) < d.records.indexOf(exit),
    'the replacement was forked before the old worker exited',
  );
  assert.ok(!isAlive(old));
  await thrown;
  assert.equal(d.events('restart').length, 1);
  // The worker runtime logged the error with its stack.
  assert.match(d.stderr, new RegExp(`\\[drover worker 0 pid ${old}\\] uncaught exception, exiting:\\nError: uncaught-in-request: boom\\n\\s+at `));

  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});
