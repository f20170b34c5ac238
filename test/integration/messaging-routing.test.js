// Messaging between the master and real workers (drover/worker in
// test/fixtures/messaging-worker.js): request/reply both ways and worker to
// worker, broadcast and publish exactly once, requests to a dying worker
// rejected at once, and backpressure that keeps the master's memory bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { makeApp, collect } from '../helpers/messaging.js';
import { waitFor } from '../helpers/wait.js';
import { CONNECT_GRACE_MS } from '../../dist/messaging/hub-auth.js';

test('master ↔ worker: request/reply with structured-clone types, and clear errors for every failure', async (t) => {
  const app = await makeApp(t, { instances: 2 });
  const up = collect(app.sup, 'up');
  await app.start();
  assert.deepEqual(up.map((u) => u.payload.workerId).sort(), [0, 1], 'each worker reachable once ready');
  const m = app.sup.messages;

  const input = { map: new Map([[1, { a: [1n, 2n] }]]), set: new Set(['x']), date: new Date(86_400_000), buf: Buffer.from('bytes'), u16: new Uint16Array([65535]), undef: undefined };
  const echoed = await m.request(0, 'echo', input);
  assert.deepEqual(echoed.map, input.map);
  assert.deepEqual(echoed.set, input.set);
  assert.equal(echoed.date.getTime(), 86_400_000);
  assert.ok(Buffer.isBuffer(echoed.buf) && echoed.buf.toString() === 'bytes');
  assert.ok(echoed.u16 instanceof Uint16Array && echoed.u16[0] === 65535);
  assert.ok('undef' in echoed);
  assert.equal(await m.request(1, 'echo', 'plain text'), 'plain text');

  const who = await m.request(1, 'whoami');
  assert.equal(who.workerId, 1);
  assert.equal(who.from, 'master');
  assert.equal(who.pid, app.pidOf(1));

  await assert.rejects(m.request(0, 'fail'), (err) => err.code === 'DROVER_E_MSG_HANDLER' && /the handler for 'fail' in worker 0 failed: nope/.test(err.message) && err.details.remote.code === 'E_NOPE');
  await assert.rejects(m.request(0, 'no-such-topic'), (err) => err.code === 'DROVER_E_MSG_NO_HANDLER' && /worker 0 has no handler for 'no-such-topic'/.test(err.message));
  const t0 = Date.now();
  await assert.rejects(m.request(7, 'echo'), (err) => err.code === 'DROVER_E_MSG_NO_ROUTE' && /worker 7 is not connected/.test(err.message));
  // At once: not after a connect grace (what a worker that started gets) or a request timeout. The bound is the
  // grace, not a speed: the test process may be descheduled for a second on a loaded machine.
  assert.ok(Date.now() - t0 < CONNECT_GRACE_MS, `a worker id that was never started fails at once (${Date.now() - t0} ms)`);
  await assert.rejects(m.request('agent', 'echo'), (err) => err.code === 'DROVER_E_MSG_NO_ROUTE' && /no agent is connected/.test(err.message));
  await assert.rejects(m.request('workers', 'echo'), { code: 'DROVER_E_MSG_INVALID' });
  await assert.rejects(m.request(-1, 'echo'), { code: 'DROVER_E_MSG_INVALID' });
  await assert.rejects(m.request(0, 'hang', null, { timeoutMs: 200 }), (err) => err.code === 'DROVER_E_MSG_TIMEOUT' && /request 'hang' to worker 0 got no reply within 200 ms/.test(err.message));
  // The master's own requests keep no route in the hub: the pending request, tagged with its receiver, matches the reply.
  const hanging = m.request(0, 'hang', null, { timeoutMs: 300 }).catch((err) => err.code);
  assert.deepEqual([app.hub.stats().routes, app.hub.stats().pendingMasterRequests], [0, 1]);
  assert.equal(await hanging, 'DROVER_E_MSG_TIMEOUT');
  await assert.rejects(m.send(0, 'echo', () => 1), { code: 'DROVER_E_MSG_SERIALIZE' });
  await assert.rejects(m.request(0, 'echo', 'x'.repeat(17 * 1024 * 1024)), { code: 'DROVER_E_MSG_TOO_LARGE' });

  // The same errors from the worker's side of the API.
  const fromWorker = await m.request(0, 'ask', { to: 'agent', topic: 'x' });
  assert.equal(fromWorker.code, 'DROVER_E_MSG_NO_ROUTE');
  assert.equal((await m.request(0, 'ask', { to: 1, topic: 'hang', timeoutMs: 150 })).code, 'DROVER_E_MSG_TIMEOUT');
  assert.equal((await m.request(0, 'ask', { to: 9, topic: 'x' })).code, 'DROVER_E_MSG_NO_ROUTE');
  assert.equal((await m.request(0, 'ask', { to: 'master', topic: 'nobody-handles-this' })).code, 'DROVER_E_MSG_NO_HANDLER');
  assert.equal((await m.request(0, 'try-send', { to: 8, topic: 'x', payload: 1 })).code, 'DROVER_E_MSG_NO_ROUTE');

  // The master answers too; a request to itself works the same way.
  m.handle('sum', (xs) => xs.reduce((a, b) => a + b, 0));
  const viaWorker = await m.request(0, 'ask', { to: 'master', topic: 'sum', payload: [1, 2, 3] });
  assert.equal(viaWorker.ok, true);
  assert.equal(viaWorker.value, 6);
  assert.equal(await m.request('master', 'sum', [4, 5]), 9);
  assert.throws(() => m.handle('sum', () => 0), { code: 'DROVER_E_MSG_INVALID' });

  // The hub's socket: private directory, owner-only socket, removed at stop.
  const socketPath = app.hub.path;
  assert.equal(statSync(path.dirname(socketPath)).mode & 0o777, 0o700);
  assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  await app.stop();
  assert.equal(existsSync(path.dirname(socketPath)), false, 'the socket directory is removed');
});

test('json mode: JSON semantics end to end (a Map becomes {}, a Date a string, BigInt an error)', async (t) => {
  const app = await makeApp(t, { instances: 1, messaging: { serialization: 'json' } });
  await app.start();
  const m = app.sup.messages;
  assert.deepEqual(await m.request(0, 'echo', { m: new Map([[1, 2]]), d: new Date(0), n: [1, 'two'] }), { m: {}, d: '1970-01-01T00:00:00.000Z', n: [1, 'two'] });
  await assert.rejects(m.request(0, 'echo', { n: 1n }), { code: 'DROVER_E_MSG_SERIALIZE' });
  assert.equal(await m.request(0, 'echo', 'text'), 'text');
  await app.stop();
});

test("broadcast to 'workers' reaches every worker exactly once (from the master, and from a worker, the sender included); publish reaches every subscriber", async (t) => {
  const app = await makeApp(t, { instances: 3 });
  const seen = collect(app.sup, 'bc-seen');
  const news = collect(app.sup, 'news-seen');
  const masterNews = collect(app.sup, 'news');
  await app.start();
  const m = app.sup.messages;
  const N = 20;
  for (let n = 0; n < N; n++) await m.send('workers', 'bc', { n });
  // Per connection messages keep their order: once the last one is in from every worker, nothing more can follow.
  await waitFor(() => [0, 1, 2].every((w) => seen.some((s) => s.payload.workerId === w && s.payload.payload.n === N - 1)), { message: 'the last broadcast at every worker' });
  for (const w of [0, 1, 2]) {
    const got = seen.filter((s) => s.payload.workerId === w).map((s) => s.payload.payload.n);
    assert.deepEqual(got, [...Array(N).keys()], `worker ${w} got each broadcast once, in order`);
  }
  assert.ok(seen.every((s) => s.payload.from === 'master'));

  // From worker 1: every worker, worker 1 included, once; the sender is worker 1.
  seen.length = 0;
  assert.equal(await m.request(1, 'broadcast', { topic: 'bc', payload: { n: 'w1' } }), true);
  await waitFor(() => seen.length >= 3, { message: 'the broadcast from worker 1 at every worker' });
  assert.deepEqual(seen.map((s) => s.payload.workerId).sort(), [0, 1, 2]);
  assert.ok(seen.every((s) => s.payload.from === 1));

  // publish from worker 2: the master's subscriber and every worker's, the publisher's own included.
  assert.equal(await m.request(2, 'publish', { topic: 'news', payload: { v: 7 } }), true);
  await waitFor(() => news.length >= 3 && masterNews.length >= 1, { message: 'the publication everywhere' });
  // publish from the master.
  await m.publish('news', { v: 8 });
  await waitFor(() => news.length >= 6 && masterNews.length >= 2, { message: "the master's publication everywhere" });
  // A fence: one more round, so that duplicates of the first two would have arrived by now.
  await m.publish('news', { v: 9 });
  await waitFor(() => news.length >= 9 && masterNews.length >= 3, { message: 'the fence publication' });
  for (const v of [7, 8, 9]) {
    assert.deepEqual(news.filter((s) => s.payload.payload.v === v).map((s) => s.payload.workerId).sort(), [0, 1, 2], `publication ${v} once per worker`);
    assert.equal(masterNews.filter((s) => s.payload.v === v).length, 1, `publication ${v} once at the master`);
  }
  assert.deepEqual(masterNews.map((s) => s.from), [2, 'master', 'master']);
  assert.ok(news.filter((s) => s.payload.payload.v === 7).every((s) => s.payload.from === 2));
  await app.stop();
});

test("worker A requests worker B and gets B's reply (worker to worker goes through the master)", async (t) => {
  const app = await makeApp(t, { instances: 2 });
  await app.start();
  const m = app.sup.messages;
  const r = await m.request(0, 'ask', { to: 1, topic: 'whoami' });
  assert.equal(r.ok, true);
  assert.equal(r.value.workerId, 1, "B's reply");
  assert.equal(r.value.from, 0, 'B sees A as the sender');
  assert.equal(r.value.pid, app.pidOf(1));
  const echoed = await m.request(1, 'ask', { to: 0, topic: 'echo', payload: { when: new Date(5), ids: new Set([1, 2]) } });
  assert.equal(echoed.value.when.getTime(), 5);
  assert.deepEqual(echoed.value.ids, new Set([1, 2]));
  const failed = await m.request(1, 'ask', { to: 0, topic: 'fail' });
  assert.equal(failed.code, 'DROVER_E_MSG_HANDLER');
  // A worker may address itself.
  assert.equal((await m.request(1, 'ask', { to: 1, topic: 'whoami' })).value.workerId, 1);
  await app.stop();
});

test('a request to a worker that dies mid-request rejects within 100 ms of its exit (from the master and from another worker)', async (t) => {
  const app = await makeApp(t, { instances: 3 });
  await app.start();
  const m = app.sup.messages;

  for (const how of ['SIGKILL', 'process.exit']) {
    const victim = app.pidOf(1);
    const fromMaster = m.request(1, 'hang', null, { timeoutMs: 30_000 }).then(
      () => ({ ok: true }),
      (err) => ({ ok: false, code: err.code, message: err.message, at: Date.now() }),
    );
    const fromWorker = m.request(0, 'ask', { to: 1, topic: 'hang', timeoutMs: 30_000 });
    const fromWorker2 = m.request(2, 'ask', { to: 1, topic: 'hang', timeoutMs: 30_000 });
    // Both requests have reached worker 1 once a later request from each side has been answered by it.
    await m.request(1, 'echo', 1);
    await m.request(0, 'ask', { to: 1, topic: 'echo' });
    await m.request(2, 'ask', { to: 1, topic: 'echo' });
    if (how === 'SIGKILL') process.kill(victim, 'SIGKILL');
    else await m.request(1, 'exit', { code: 3 });
    const exit = await app.waitEvent('exit', (e) => e.pid === victim);
    const results = [await fromMaster, await fromWorker, await fromWorker2];
    for (const r of results) {
      assert.equal(r.ok, false);
      assert.equal(r.code, 'DROVER_E_MSG_DISCONNECTED', r.message);
      assert.match(r.message, /worker 1 exited or disconnected before replying to request 'hang'/);
      assert.ok(r.at - exit.at < 100, `${how}: rejected ${r.at - exit.at} ms after the exit event`);
    }
    // The replacement takes slot 1 and answers. waitEvent searches the whole
    // history: in the second round `pid !== victim` matched the first worker's
    // old ready, and the request raced a replacement still booting (it failed
    // with NO_ROUTE once that boot took more than the hub's connect grace).
    await app.waitEvent('ready', (e) => e.slot === 1 && e.at >= exit.at, { timeoutMs: 20_000 });
    assert.equal((await m.request(1, 'whoami')).workerId, 1);
  }
  await app.stop();
});

test('backpressure: a worker that stops reading makes the sender wait; the queue in the master stays bounded; with overflow "error" the sender gets DROVER_E_MSG_OVERFLOW', async (t) => {
  const QUEUE = 1024 * 1024;
  const app = await makeApp(t, { instances: 2, messaging: { maxQueueBytes: QUEUE } });
  await app.start();
  const m = app.sup.messages;
  const chunk = 'z'.repeat(64 * 1024);
  await m.request(1, 'block', { ms: 2_000 });
  const outcomes = [];
  const sends = [];
  for (let n = 0; n < 60; n++) {
    sends.push(
      m.send(1, 'sink', { n, chunk }).then(
        () => outcomes.push('ok'),
        (err) => outcomes.push(err.code),
      ),
    );
  }
  // While worker 1 is blocked: bounded queue, senders waiting, the excess refused.
  await waitFor(() => outcomes.includes('DROVER_E_MSG_OVERFLOW'), { message: 'overflow for what exceeds the queue and the wait list' });
  const stats = app.hub.stats();
  assert.ok(stats.queuedBytes <= QUEUE + 2 * 70 * 1024, `queued ${stats.queuedBytes} bytes, bound ${QUEUE}`);
  assert.ok(outcomes.length < 60, 'some sends are waiting for worker 1 to read');
  await Promise.all(sends);
  const accepted = outcomes.filter((o) => o === 'ok').length;
  assert.ok(accepted >= 16, `at least the queue's worth was accepted (${accepted})`);
  assert.equal(accepted + outcomes.filter((o) => o === 'DROVER_E_MSG_OVERFLOW').length, 60);
  // Every accepted message arrives, in order, once the worker reads again.
  await waitFor(async () => (await m.request(1, 'sink-count')).count === accepted, { message: 'every accepted message at worker 1' });
  assert.equal((await m.request(1, 'sink-count')).inOrder, true);
  assert.equal((await m.request(0, 'echo', 'worker 0 unaffected')), 'worker 0 unaffected');
  await app.stop();

  const strict = await makeApp(t, { instances: 1, messaging: { maxQueueBytes: QUEUE, overflow: 'error' } });
  await strict.start();
  await strict.sup.messages.request(0, 'block', { ms: 1_500 });
  const results = await Promise.allSettled(Array.from({ length: 60 }, (_, n) => strict.sup.messages.send(0, 'sink', { n, chunk })));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.ok(refused.length > 0, 'sends beyond the queue are refused at once');
  assert.ok(refused.every((r) => r.reason.code === 'DROVER_E_MSG_OVERFLOW' && /not keeping up/.test(r.reason.message)));
  assert.ok(strict.hub.stats().queuedBytes <= QUEUE + 2 * 70 * 1024);
  await strict.stop();
});

test("a master killed without cleaning up leaves its socket directory: the next hub removes it, and never a live master's", async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  // A pid that has run and ended: the directory of a "master" killed by SIGKILL.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const stale = path.join(os.tmpdir(), `drover-hub-${dead}-test${Date.now()}`);
  const live = path.join(os.tmpdir(), `drover-hub-${process.pid}-test${Date.now()}`);
  for (const dir of [stale, live]) {
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(path.join(dir, 'hub.sock'), '');
  }
  t.after(() => rmSync(live, { recursive: true, force: true }));
  const app = await makeApp(t, { instances: 1 });
  await app.start();
  assert.equal(existsSync(stale), false, 'the dead master\'s directory is gone');
  assert.equal(existsSync(live), true, "a live master's directory is kept");
  assert.match(path.basename(path.dirname(app.hub.path)), new RegExp(`^drover-hub-${process.pid}-`));
  await app.stop();
});
