// The hub's connect grace (issue 17): a message to a worker that is alive but
// still booting (its module takes seconds to load before its first messaging
// call) waits until it connects, however long past CONNECT_GRACE_MS after its
// start, bounded by the request's own timeout; one that exits before it
// connects fails the calls waiting for it at once, with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeApp, fixture } from '../helpers/messaging.js';
import { waitFor } from '../helpers/wait.js';

const settle = (p) => p.then((value) => ({ ok: true, value }), (err) => ({ ok: false, err }));

test('a request to a worker whose boot outlasts the connect grace waits for it (from the master and from a worker); its own timeout still bounds it', async (t) => {
  // Slot 1 takes 4 s (> CONNECT_GRACE_MS, 3 s) before its first messaging call; slot 0 boots at once.
  const app = await makeApp(t, { script: fixture('messaging-slow-boot.js'), instances: 2, env: { SLOW_BOOT_MS: '4000', SLOW_SLOTS: '1' } });
  app.sup.start();
  await waitFor(() => app.of('fork').length === 2, { message: 'both workers forked' });
  const m = app.sup.messages;
  // Made while slot 1 boots: it cannot have connected yet (its module is still in its 4 s delay).
  const short = settle(m.request(1, 'echo', 'too soon', { timeoutMs: 500 }));
  const fromMaster = settle(m.request(1, 'echo', 'hello', { timeoutMs: 30_000 }));
  const sent = settle(m.send(1, 'anything', 1));
  const fromWorker = settle(m.request(0, 'ask', { to: 1, topic: 'echo', payload: 'via 0', timeoutMs: 30_000 }, { timeoutMs: 30_000 }));

  const s = await short;
  assert.equal(s.ok, false);
  assert.equal(s.err.code, 'DROVER_E_MSG_TIMEOUT', s.err.message);
  assert.match(s.err.message, /worker 1 is still starting and did not connect to the message hub within 500 ms/);

  const r = await fromMaster;
  assert.ok(r.ok, r.err?.message);
  assert.equal(r.value, 'hello');
  const w = await fromWorker;
  assert.ok(w.value.ok, w.value.message);
  assert.equal(w.value.value, 'via 0');
  const sr = await sent;
  assert.ok(sr.ok, sr.err?.message);
  await app.ready();
  assert.equal(app.hub.stats().routes, 0, 'no route left behind');
});

test('a worker that exits before it connects fails the requests waiting for it at once, not at their timeout', async (t) => {
  const app = await makeApp(t, {
    script: fixture('messaging-slow-boot.js'),
    instances: 1,
    env: { SLOW_BOOT_MS: '1500', SLOW_BOOT_EXIT: '1' },
  });
  app.sup.start();
  app.sup.ready.catch(() => {});
  await waitFor(() => app.of('fork').length === 1, { message: 'the worker forked' });
  const m = app.sup.messages;
  const pending = settle(m.request(0, 'echo', 'x', { timeoutMs: 60_000 }));
  const sent = settle(m.send(0, 'anything', 1));
  const r = await pending;
  assert.equal(r.ok, false);
  assert.equal(r.err.code, 'DROVER_E_MSG_NO_ROUTE', r.err.message);
  assert.match(r.err.message, /worker 0 exited before it connected to the message hub/);
  const s = await sent;
  assert.equal(s.err?.code, 'DROVER_E_MSG_NO_ROUTE');
  assert.ok(app.of('exit').length >= 1, 'it failed because the worker exited');
});
