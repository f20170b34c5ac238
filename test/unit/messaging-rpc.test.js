// RPC state with a fake clock: seq allocation, replies matched by seq,
// timeouts, and every pending request rejected at once when its receiver
// (or the connection) goes away. Plus the pieces around it: error bodies,
// timeouts given by the caller, the listener/handler tables, the IPC guard.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { PendingRequests } from '../../dist/messaging/rpc.js';
import { Dispatcher, checkTimeout, errorFromBody, handlerFailureBody, errorBody } from '../../dist/messaging/endpoint.js';
import { IpcGuard } from '../../dist/messaging/ipc-guard.js';
import v8 from 'node:v8';
import vm from 'node:vm';

const info = (over = {}) => ({ what: "request 'x' to worker 1", timeoutMs: 1000, tag: 'w1', ...over });
const settled = async (p) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

test('seq: increments from 1, skips pending ones, wraps at 2^32 without 0', () => {
  const rpc = new PendingRequests();
  assert.equal(rpc.nextSeq(), 1);
  assert.equal(rpc.nextSeq(), 2);
  rpc.add(3, info({ timeoutMs: 0 })).catch(() => {});
  assert.equal(rpc.nextSeq(), 4, 'a seq still pending is skipped');
  const wrap = new PendingRequests();
  wrap.lastSeq = 0xffff_fffe;
  assert.equal(wrap.nextSeq(), 0xffff_ffff);
  assert.equal(wrap.nextSeq(), 1, 'wraps past 0');
});

test('a reply resolves the request with its seq, once; unknown seqs are ignored', async () => {
  const rpc = new PendingRequests();
  const a = rpc.add(1, info());
  const b = rpc.add(2, info());
  assert.equal(rpc.size, 2);
  assert.equal(rpc.resolve(2, 'two'), true);
  assert.equal(await b, 'two');
  assert.equal(rpc.resolve(2, 'again'), false, 'settled once');
  assert.equal(rpc.resolve(99, 'x'), false);
  assert.equal(rpc.reject(1, new Error('remote')), true);
  await assert.rejects(a, /remote/);
  assert.equal(rpc.size, 0);
});

test('adding a seq twice is refused', async () => {
  const rpc = new PendingRequests();
  rpc.add(1, info({ timeoutMs: 0 })).catch(() => {});
  await assert.rejects(rpc.add(1, info()), { code: 'DROVER_E_INTERNAL' });
});

test('timeout: rejects with DROVER_E_MSG_TIMEOUT exactly at timeoutMs, not before', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let timeouts = 0;
  const rpc = new PendingRequests(undefined, () => timeouts++);
  const p = rpc.add(1, info({ timeoutMs: 5000 }));
  t.mock.timers.tick(4999);
  assert.equal(await settled(p), 'pending');
  t.mock.timers.tick(1);
  await assert.rejects(p, (err) => err.code === 'DROVER_E_MSG_TIMEOUT' && /request 'x' to worker 1 got no reply within 5000 ms/.test(err.message));
  assert.equal(rpc.size, 0);
  assert.equal(timeouts, 1, 'the timeout hook ran');
  assert.equal(rpc.resolve(1, 'late'), false, 'a late reply is ignored');
});

test('a reply before the timeout cancels the timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const rpc = new PendingRequests();
  const p = rpc.add(1, info({ timeoutMs: 100 }));
  rpc.resolve(1, 'ok');
  t.mock.timers.tick(1000);
  assert.equal(await p, 'ok');
});

test('timeoutMs 0 means no timeout', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const rpc = new PendingRequests();
  const p = rpc.add(1, info({ timeoutMs: 0 }));
  t.mock.timers.tick(10 ** 9);
  assert.equal(await settled(p), 'pending');
  rpc.rejectAll(() => new Error('end'));
  await assert.rejects(p, /end/);
});

test('injected timers are used (no globals needed)', async () => {
  const armed = [];
  const timers = { setTimeout: (fn, ms) => armed.push({ fn, ms }) - 1, clearTimeout: (h) => (armed[h].cleared = true) };
  const rpc = new PendingRequests(timers);
  const p = rpc.add(1, info({ timeoutMs: 250 }));
  assert.equal(armed[0].ms, 250);
  armed[0].fn();
  await assert.rejects(p, { code: 'DROVER_E_MSG_TIMEOUT' });
  rpc.add(2, info()).catch(() => {});
  rpc.resolve(2, 1);
  assert.equal(armed[1].cleared, true);
});

test('receiver gone: rejectTag rejects every request to it at once, and only those', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const rpc = new PendingRequests();
  const toW1 = [rpc.add(1, info()), rpc.add(2, info()), rpc.add(3, info({ timeoutMs: 0 }))];
  const toW2 = rpc.add(4, info({ tag: 'w2' }));
  const n = rpc.rejectTag('w1', (i) => Object.assign(new Error(`${i.what}: worker 1 exited`), { code: 'DROVER_E_MSG_DISCONNECTED' }));
  assert.equal(n, 3);
  for (const p of toW1) await assert.rejects(p, { code: 'DROVER_E_MSG_DISCONNECTED' });
  assert.equal(await settled(toW2), 'pending');
  assert.equal(rpc.size, 1);
  // The timers of the rejected requests were cleared: nothing fires later.
  t.mock.timers.tick(999);
  assert.equal(await settled(toW2), 'pending');
  rpc.resolve(4, 'w2 answered');
  assert.equal(await toW2, 'w2 answered');
});

test('disconnect: rejectAll rejects everything at once and clears every timer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let timeouts = 0;
  const rpc = new PendingRequests(undefined, () => timeouts++);
  const ps = [1, 2, 3, 4].map((seq) => rpc.add(seq, info({ tag: `w${seq}` })));
  assert.equal(
    rpc.rejectAll(() => Object.assign(new Error('the connection to the master closed'), { code: 'DROVER_E_MSG_DISCONNECTED' })),
    4,
  );
  for (const p of ps) await assert.rejects(p, { code: 'DROVER_E_MSG_DISCONNECTED' });
  t.mock.timers.tick(10_000);
  assert.equal(timeouts, 0, 'no timeout fires after the reject');
  assert.equal(rpc.size, 0);
});

test('checkTimeout: default, Infinity, and invalid values', () => {
  assert.equal(checkTimeout(undefined, 10_000), 10_000);
  assert.equal(checkTimeout({ timeoutMs: 250.2 }, 10_000), 251);
  assert.equal(checkTimeout({ timeoutMs: Infinity }, 10_000), 0);
  for (const bad of [0, -1, NaN, '100', 2 ** 33]) assert.throws(() => checkTimeout({ timeoutMs: bad }, 1), { code: 'DROVER_E_MSG_INVALID' });
});

test('error bodies: codes survive, a handler failure carries the remote error, junk stays an error', () => {
  const e = errorFromBody(errorBody('DROVER_E_MSG_NO_ROUTE', 'worker 7 is not connected'));
  assert.equal(e.code, 'DROVER_E_MSG_NO_ROUTE');
  assert.equal(e.message, 'worker 7 is not connected');
  const remote = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
  const h = errorFromBody(handlerFailureBody(remote, 'users.get', 'worker 2'));
  assert.equal(h.code, 'DROVER_E_MSG_HANDLER');
  assert.match(h.message, /the handler for 'users.get' in worker 2 failed: bad input/);
  assert.equal(h.details.remote.name, 'TypeError');
  assert.equal(h.details.remote.code, 'E_BAD');
  assert.match(h.details.remote.stack, /TypeError: bad input/);
  assert.equal(errorFromBody(handlerFailureBody('a string', 't', 'the master')).details.remote.message, 'a string');
  // An unknown code or a malformed body cannot inject arbitrary codes.
  assert.equal(errorFromBody(JSON.stringify({ code: 'DROVER_E_GIVEUP', message: 'x' })).code, 'DROVER_E_MSG_HANDLER');
  assert.equal(errorFromBody('not json').code, 'DROVER_E_MSG_HANDLER');
});

test('dispatcher: listeners in order, a throwing one does not stop the others, removal during emit is safe', () => {
  const d = new Dispatcher();
  const calls = [];
  const errors = [];
  const a = (p) => calls.push(['a', p]);
  const b = () => {
    d.removeListener('t', a);
    throw new Error('b broke');
  };
  const c = (p, meta) => calls.push(['c', p, meta.from]);
  assert.equal(d.addListener('t', a), true, 'first listener: subscribe upstream');
  assert.equal(d.addListener('t', b), false);
  d.addListener('t', c);
  d.emit('t', 1, { from: 2, topic: 't' }, (err) => errors.push(err.message));
  assert.deepEqual(calls, [
    ['a', 1],
    ['c', 1, 2],
  ]);
  assert.deepEqual(errors, ['b broke']);
  assert.equal(d.removeListener('t', b), false);
  assert.equal(d.removeListener('t', c), true, 'last listener: unsubscribe upstream');
  assert.equal(d.hasListeners('t'), false);
});

test('dispatcher: one handler per topic, with a clear error for a second one', () => {
  const d = new Dispatcher();
  const h = () => 1;
  d.setHandler('t', h);
  assert.throws(() => d.setHandler('t', () => 2), (err) => err.code === 'DROVER_E_MSG_INVALID' && /already registered/.test(err.message));
  d.removeHandler('t', () => 3);
  assert.equal(d.handler('t'), h, 'only the registered function removes it');
  d.removeHandler('t', h);
  d.setHandler('t', () => 2);
  assert.throws(() => d.setHandler('u', 'nope'), { code: 'DROVER_E_MSG_INVALID' });
});

test('IPC guard: online/exiting once, repeats dropped with a strike; floods dropped beyond the rate; malformed are strikes', () => {
  let now = 0;
  const offenses = [];
  const strikes = [];
  const guard = new IpcGuard({ ratePerSecond: 100, now: () => now, offense: (wid, pid, what) => offenses.push(what), strike: (wid, reason) => strikes.push([wid, reason]) });
  assert.equal(guard.admit(1, 100, 'online'), true);
  assert.equal(guard.admit(1, 100, 'online'), false);
  assert.equal(guard.admit(1, 100, 'exiting'), true, 'the runtime sends exiting once: admitted');
  for (let i = 0; i < 10; i++) assert.equal(guard.admit(1, 100, 'exiting'), false);
  assert.equal(strikes.filter(([, r]) => /repeated 'exiting'/.test(r)).length, 10);
  assert.equal(guard.admit(2, 200, 'exiting'), true, 'per worker');
  // Rate: 100/s with a burst of 100.
  let admitted = 0;
  for (let i = 0; i < 1000; i++) if (guard.admit(3, 300, 'pong')) admitted++;
  assert.equal(admitted, 100);
  now += 500;
  admitted = 0;
  for (let i = 0; i < 1000; i++) if (guard.admit(3, 300, 'pong')) admitted++;
  assert.equal(admitted, 50, 'refilled at the rate');
  assert.equal(strikes.filter(([w]) => w === 3).length, 1, 'one flood strike per second at most');
  now += 1000;
  for (let i = 0; i < 1000; i++) guard.admit(3, 300, 'pong');
  assert.equal(strikes.filter(([w]) => w === 3).length, 2);
  guard.malformed(4, 400, 'listen: needs an integer seq');
  assert.deepEqual(strikes.at(-1), [4, 'malformed IPC message (listen: needs an integer seq)']);
  guard.forget(1);
  assert.equal(guard.admit(1, 101, 'online'), true, 'a forgotten worker starts afresh');
  assert.ok(offenses.some((o) => /sent 'exiting' a second time/.test(o)));
});

// An entry that outlives its request (something promoted still points at it) must not keep the
// promise, and with it the reply, alive: 64 KB replies were copied by every scavenge so (rpc.ts, settled).
test('a settled request lets go of its promise, however it ends (reply, error, receiver gone, disconnect, timeout)', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  let fire;
  const timers = { setTimeout: (fn) => ((fire = fn), 'timer'), clearTimeout: () => {} };
  const ways = {
    reply: (rpc) => rpc.resolve(1, 'x'.repeat(65536)),
    error: (rpc) => rpc.reject(1, new Error('remote')),
    gone: (rpc) => rpc.rejectTag('w1', () => new Error('gone')),
    disconnect: (rpc) => rpc.rejectAll(() => new Error('disconnected')),
    timeout: () => fire(),
  };
  for (const [way, settle] of Object.entries(ways)) {
    const rpc = new PendingRequests(timers);
    let p = rpc.add(1, info());
    const kept = rpc.pending.get(1);
    const ref = new WeakRef(p);
    p.catch(() => {});
    settle(rpc);
    p = undefined;
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(ref.deref(), undefined, `${way}: the promise is still reachable from its entry`);
    assert.equal(kept.timer, undefined, `${way}: the entry still holds its timer`);
  }
});
