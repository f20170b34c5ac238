// A daemon-run app master answers the same signal table as `drover run`
// (control/signals.ts): SIGTTIN / SIGTTOU scale by one, SIGHUP reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, describe, makeHome, ok, waitFor } from '../helpers/daemon.js';

const readyActive = (d) => d.workers.filter((w) => w.phase === 'ready' && w.role === 'active');

test('SIGTTIN to a daemon-run app master adds a worker, SIGTTOU removes one, SIGHUP reloads', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'sig', '-i', '1'], { env: { PORT: '0' } });
  const before = await describe(home, 'sig');
  const master = before.master.pid;
  assert.equal(typeof master, 'number');
  assert.equal(readyActive(before).length, 1);

  process.kill(master, 'SIGTTIN');
  const grown = await waitFor(
    async () => {
      const d = await describe(home, 'sig');
      return d.desired === 2 && readyActive(d).length === 2 && d;
    },
    { timeoutMs: 15_000, message: 'a second ready worker after SIGTTIN' },
  );
  assert.equal(grown.master.pid, master, 'the same master (a signal is not a restart)');

  process.kill(master, 'SIGTTOU');
  await waitFor(
    async () => {
      const d = await describe(home, 'sig');
      return d.desired === 1 && d.workers.length === 1 && d;
    },
    { timeoutMs: 15_000, message: 'one worker again after SIGTTOU' },
  );

  const [old] = readyActive(await describe(home, 'sig'));
  process.kill(master, 'SIGHUP');
  await waitFor(
    async () => {
      const d = await describe(home, 'sig');
      const ready = readyActive(d);
      return ready.length === 1 && ready[0].pid !== old.pid;
    },
    { timeoutMs: 15_000, message: 'a new worker after SIGHUP (reload)' },
  );
});
