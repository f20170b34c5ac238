// The systemd link in pieces: message formatting, the ordered bounded queue,
// the watchdog's interval and health rule (fake timers), and the lifecycle →
// message mapping against a fake app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { formatNotify, NotifyQueue, notifyValue } from '../../dist/platform/sd-notify.js';
import { startWatchdog, watchdogHealthy, watchdogIntervalMs } from '../../dist/platform/watchdog.js';
import { attachSystemd } from '../../dist/platform/systemd-notify.js';
import { withoutServiceEnv } from '../../dist/platform/service-env.js';

test('a value cannot add a line (a field) to the message', () => {
  assert.equal(notifyValue('app\nREADY=1'), 'app READY=1');
  assert.equal(formatNotify({ STATUS: 'a\r\n\u0000WATCHDOG=1' }), 'STATUS=a WATCHDOG=1');
  assert.equal(formatNotify({ READY: '1', STATUS: '2/2 workers ready' }), 'READY=1\nSTATUS=2/2 workers ready');
});

test('NotifyQueue: one send at a time, in order; a queued STATUS or WATCHDOG is replaced by a newer one; failures reported', async () => {
  const sent = [];
  const pending = [];
  const send = (fields) => new Promise((resolve, reject) => pending.push(() => (fields.FAIL ? reject(new Error('boom')) : (sent.push(fields), resolve()))));
  const errors = [];
  const q = new NotifyQueue(send, (err) => errors.push(err.message));
  q.notify({ READY: '1' });
  q.notify({ STATUS: 'a' });
  q.notify({ WATCHDOG: '1' });
  q.notify({ STATUS: 'b' });
  q.notify({ WATCHDOG: '1' });
  q.notify({ RELOADING: '1', MONOTONIC_USEC: '5' });
  q.notify({ FAIL: '1' });
  q.notify({ READY: '1' });
  assert.equal(pending.length, 1, 'the second waits for the first');
  while (pending.length > 0) {
    pending.shift()();
    await new Promise((r) => setImmediate(r));
  }
  await q.flush();
  assert.deepEqual(sent, [{ READY: '1' }, { STATUS: 'b' }, { WATCHDOG: '1' }, { RELOADING: '1', MONOTONIC_USEC: '5' }, { READY: '1' }]);
  assert.deepEqual(errors, ['boom']);
});

test('NotifyQueue is bounded: status floods cannot grow it', async () => {
  let release;
  const sent = [];
  const q = new NotifyQueue((f) => new Promise((r) => (release = () => (sent.push(f), r()))));
  q.notify({ READY: '1' });
  for (let i = 0; i < 1000; i++) q.notify({ STATUS: `s${i}` });
  for (let i = 0; i < 2; i++) {
    release();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(sent, [{ READY: '1' }, { STATUS: 's999' }]);
});

test('watchdogIntervalMs: half of WATCHDOG_USEC; none when unset, invalid, or WATCHDOG_PID is another process', () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42), undefined);
  assert.equal(watchdogIntervalMs({}, 42), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), undefined);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), undefined);
});

test('watchdogHealthy: starting, or running with a worker answering heartbeats; never while stopping', () => {
  assert.equal(watchdogHealthy({ phase: 'starting', desired: 2, answering: 0 }), true);
  assert.equal(watchdogHealthy({ phase: 'running', desired: 2, answering: 1 }), true);
  assert.equal(watchdogHealthy({ phase: 'running', desired: 2, answering: 0 }), false);
  assert.equal(watchdogHealthy({ phase: 'running', desired: 0, answering: 0 }), true);
  assert.equal(watchdogHealthy({ phase: 'stopping', desired: 2, answering: 2 }), false);
});

test('startWatchdog pings on each tick only while healthy', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  let healthy = true;
  let pings = 0;
  const stop = startWatchdog(500, () => healthy, () => pings++, { setInterval, clearInterval });
  t.mock.timers.tick(1000);
  assert.equal(pings, 2);
  healthy = false;
  t.mock.timers.tick(1000);
  assert.equal(pings, 2);
  healthy = true;
  t.mock.timers.tick(500);
  assert.equal(pings, 3);
  stop();
  t.mock.timers.tick(5000);
  assert.equal(pings, 3);
});

class FakeApp extends EventEmitter {
  phase = 'starting';
  desired = 2;
  list = [];
  workers() {
    return this.list;
  }
}

test('attachSystemd: lifecycle events become READY, RELOADING, STATUS, STOPPING; a hung worker does not count as ready', async () => {
  const sent = [];
  const app = new FakeApp();
  const link = attachSystemd(app, { env: { NOTIFY_SOCKET: '/run/x.sock' }, pid: 7, send: async (f) => void sent.push(f) });
  app.list = [
    { wid: 1, phase: 'ready', role: 'active' },
    { wid: 2, phase: 'ready', role: 'active' },
    { wid: 3, phase: 'ready', role: 'spare' },
  ];
  app.phase = 'running';
  const tick = () => new Promise((r) => setImmediate(r));
  const steps = [
    ['started', {}],
    ['reload-start', { workers: 2 }],
    ['reloaded', {}],
    ['hung', { wid: 2 }],
    ['exit', { wid: 2 }],
    ['reload-start', { workers: 2 }],
    ['reload-failed', { message: 'boom\nREADY=1' }],
  ];
  for (const [event, e] of steps) {
    app.emit(event, e);
    await tick();
  }
  app.phase = 'stopping';
  app.emit('stopping', {});
  await link.close();
  const keys = sent.map((f) => Object.keys(f).join('+'));
  assert.deepEqual(keys, ['READY+STATUS', 'RELOADING+MONOTONIC_USEC+STATUS', 'READY+STATUS', 'STATUS', 'STATUS', 'RELOADING+MONOTONIC_USEC+STATUS', 'READY+STATUS', 'STOPPING+STATUS']);
  assert.equal(sent[0].STATUS, '2/2 workers ready');
  assert.equal(sent[3].STATUS, '1/2 workers ready', 'the hung worker is not counted');
  assert.equal(sent[4].STATUS, '2/2 workers ready', 'forgotten once it exited');
  assert.match(sent[1].MONOTONIC_USEC, /^\d+$/);
  assert.equal(formatNotify(sent[6]).split('\n').length, 2, 'the error text stays on one line');
});

test('attachSystemd: nothing without NOTIFY_SOCKET; a warning for a socket that is neither a path nor @abstract', () => {
  const warnings = [];
  assert.equal(attachSystemd(new FakeApp(), { env: {}, send: async () => {} }), undefined);
  assert.equal(attachSystemd(new FakeApp(), { env: { NOTIFY_SOCKET: 'relative.sock' }, send: async () => {}, warn: (m) => warnings.push(m) }), undefined);
  assert.match(warnings[0], /neither a path nor an abstract socket/);
});

test('workers get no NOTIFY_SOCKET or WATCHDOG_*', () => {
  assert.deepEqual(withoutServiceEnv({ A: '1', NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '1', WATCHDOG_PID: '2' }), { A: '1' });
});
