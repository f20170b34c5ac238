// The listener's credit-based hand-off (src/balancer/balanced-port.ts with
// src/protocol/handoff.ts), against fake workers: at most HANDOFF_WINDOW
// unreported hand-offs per worker, the rest to another worker or waiting,
// reports (cumulative) release waiting connections, sticky waits for its own
// worker, a failed write goes elsewhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BalancedPort as Listener } from '../../dist/balancer/balanced-port.js';
import { createStrategy } from '../../dist/balancer/strategies/index.js';
import { HANDOFF_WINDOW as W } from '../../dist/protocol/handoff.js';

function fakeChild({ fail = false } = {}) {
  return {
    connected: true,
    _handleQueue: null,
    got: [],
    send(message, handle, options, done) {
      assert.equal(message.kind, 'conn');
      // What child_process does after writing a handle: later sends wait for an ACK.
      this._handleQueue = [];
      if (fail) return done(new Error('EPIPE'));
      this.got.push(handle);
      done(null);
    },
  };
}

let n = 0;
function fakeHandle(address) {
  return {
    id: n++,
    closed: false,
    close() {
      this.closed = true;
    },
    getpeername(out) {
      out.address = address;
      return 0;
    },
  };
}

function listener(strategy) {
  const drops = [];
  const l = new Listener('tcp::0:', createStrategy(strategy), { onDrop: (key, reason) => drops.push(reason), onShed: () => {} });
  return { l, drops };
}

test('round-robin: each worker gets at most the window; the rest wait, in order, until a report frees credit', () => {
  const { l } = listener('round-robin');
  const a = fakeChild();
  const b = fakeChild();
  l.add(1, a);
  l.add(2, b);
  const handles = Array.from({ length: 3 * W }, () => fakeHandle());
  for (const h of handles) l.distribute(h, -1);
  assert.equal(a.got.length, W);
  assert.equal(b.got.length, W);
  // Node's queue marker is cleared after every hand-off: nothing waits for an ACK.
  assert.equal(a._handleQueue, null);
  assert.ok(handles.slice(0, 2 * W).every((h) => h.closed), 'our copy of each fd is closed once written');
  // Worker 1 received everything it was sent: the oldest waiting connections go to it.
  l.report(1, W, 0);
  assert.equal(a.got.length, 2 * W);
  assert.deepEqual(
    a.got.slice(W).map((h) => h.id),
    handles.slice(2 * W).map((h) => h.id),
  );
  assert.equal(l.connectionsOf(1), 2 * W);
  // Cumulative: a repeated or late report changes nothing; closes lower the count.
  l.report(1, W, 0);
  l.report(1, 2 * W, 5);
  assert.equal(l.connectionsOf(1), 2 * W - 5);
});

test('a full worker is skipped: the least-behind other one takes the connection', () => {
  for (const strategy of ['round-robin', 'least-connections', 'least-loaded', 'weighted']) {
    const { l } = listener(strategy);
    const a = fakeChild();
    const b = fakeChild();
    l.add(1, a);
    l.add(2, b);
    l.report(2, 0, 0);
    // Fill worker 1 by making worker 2 absent for a while.
    l.remove(2);
    for (let i = 0; i < W; i++) l.distribute(fakeHandle(), -1);
    assert.equal(a.got.length, W, strategy);
    l.add(2, b);
    for (let i = 0; i < 5; i++) l.distribute(fakeHandle(), -1);
    assert.equal(a.got.length, W, `${strategy}: the full worker got nothing more`);
    assert.equal(b.got.length, 5, strategy);
  }
});

test('sticky: a client whose worker is full waits for that worker instead of moving', () => {
  const { l } = listener('sticky');
  const a = fakeChild();
  const b = fakeChild();
  l.add(1, a);
  l.add(2, b);
  for (let i = 0; i < W + 3; i++) l.distribute(fakeHandle('10.0.0.7'), -1);
  const [home, homeId, other] = a.got.length > 0 ? [a, 1, b] : [b, 2, a];
  assert.equal(home.got.length, W);
  assert.equal(other.got.length, 0);
  l.report(homeId, W, W);
  assert.equal(home.got.length, W + 3);
  assert.equal(other.got.length, 0);
});

test('a write that fails (worker died) hands the connection to another worker and takes back the count', () => {
  const { l } = listener('round-robin');
  const dead = fakeChild({ fail: true });
  const alive = fakeChild();
  l.add(1, dead);
  l.add(2, alive);
  const h = fakeHandle();
  l.distribute(h, -1);
  l.distribute(fakeHandle(), -1);
  assert.equal(alive.got.length, 2);
  assert.equal(l.handed.get(1), 0);
  assert.equal(l.members.has(1), false, 'the failed worker left the balancer');
});

test('waiting connections beyond the pending limit are closed and reported as drops', () => {
  const { l, drops } = listener('round-robin');
  const handles = Array.from({ length: 4097 }, () => fakeHandle());
  for (const h of handles) l.distribute(h, -1);
  assert.equal(drops.length, 1);
  assert.equal(handles[4096].closed, true);
  assert.equal(handles[0].closed, false);
  const a = fakeChild();
  l.add(1, a);
  assert.equal(a.got.length, W, 'a joining worker takes up to its window at once');
});
