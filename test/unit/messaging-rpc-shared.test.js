// PendingRequests in shared mode (the hub client's): one timer for every
// pending request, armed for the earliest deadline, instead of one per
// request. Fake clock and fake timers: which timers are armed, when requests
// time out, and that an answered request costs no timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingRequests } from '../../dist/messaging/rpc.js';

const info = (timeoutMs, tag = 'w1') => ({ what: "request 'x' to worker 1", timeoutMs, tag });

function fakeClock() {
  let now = 0;
  const armed = new Map();
  let nextHandle = 1;
  const timers = {
    setTimeout: (fn, ms) => {
      clock.calls++;
      const h = nextHandle++;
      armed.set(h, { fn, at: now + ms, ms });
      return h;
    },
    clearTimeout: (h) => armed.delete(h),
  };
  /** Moves the clock, firing what is due in order (as Node would). */
  const advance = (ms) => {
    const end = now + ms;
    for (;;) {
      const due = [...armed].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      armed.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  const clock = { timers, armed, advance, now: () => now, calls: 0 };
  return clock;
}

const state = async (p) => {
  let s = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return s;
};

test('shared: one timer for many requests; answered requests arm none', async () => {
  const clock = fakeClock();
  const rpc = new PendingRequests(clock.timers, undefined, { shared: true, now: clock.now });
  const a = rpc.add(1, info(1000));
  assert.equal(clock.armed.size, 1);
  for (let seq = 2; seq < 100; seq++) {
    const p = rpc.add(seq, info(1000));
    rpc.resolve(seq, seq);
    assert.equal(await p, seq);
  }
  assert.equal(clock.armed.size, 1, 'still the one timer');
  assert.equal(clock.calls, 1, 'armed once for 99 requests');
  rpc.resolve(1, 'one');
  assert.equal(await a, 'one');
});

test('shared: each request times out at its own deadline, not before; the timer follows the earliest', async () => {
  const clock = fakeClock();
  let timeouts = 0;
  const rpc = new PendingRequests(clock.timers, () => timeouts++, { shared: true, now: clock.now });
  const slow = rpc.add(1, info(5000));
  clock.advance(100);
  const fast = rpc.add(2, info(1000));
  assert.deepEqual([...clock.armed.values()].map((t) => t.at), [1100], 'rearmed for the earlier deadline');
  clock.advance(998);
  assert.equal(await state(fast), 'pending');
  clock.advance(2);
  await assert.rejects(fast, (err) => err.code === 'DROVER_E_MSG_TIMEOUT' && /within 1000 ms/.test(err.message));
  assert.equal(await state(slow), 'pending');
  assert.deepEqual([...clock.armed.values()].map((t) => t.at), [5000], 'armed for the one left');
  clock.advance(3898);
  assert.equal(await state(slow), 'pending');
  clock.advance(2);
  await assert.rejects(slow, { code: 'DROVER_E_MSG_TIMEOUT' });
  assert.equal(timeouts, 2);
  assert.equal(rpc.size, 0);
  assert.equal(clock.armed.size, 0, 'nothing left to time: no timer');
});

test('shared: a timer that fires with only answered requests behind it stops; timeoutMs 0 never times out', async () => {
  const clock = fakeClock();
  const rpc = new PendingRequests(clock.timers, undefined, { shared: true, now: clock.now });
  const p = rpc.add(1, info(100));
  rpc.resolve(1, 'ok');
  assert.equal(await p, 'ok');
  const forever = rpc.add(2, info(0));
  clock.advance(10_000);
  assert.equal(clock.armed.size, 0);
  assert.equal(await state(forever), 'pending');
  rpc.rejectAll(() => new Error('closed'));
  await assert.rejects(forever, /closed/);
});

test('shared: rejectAll and rejectTag settle at once, and the timer goes with rejectAll', async () => {
  const clock = fakeClock();
  let timeouts = 0;
  const rpc = new PendingRequests(clock.timers, () => timeouts++, { shared: true, now: clock.now });
  const w1 = rpc.add(1, info(1000, 'w1'));
  const w2 = rpc.add(2, info(1000, 'w2'));
  assert.equal(rpc.rejectTag('w1', () => new Error('w1 gone')), 1);
  await assert.rejects(w1, /w1 gone/);
  assert.equal(await state(w2), 'pending');
  rpc.rejectAll(() => new Error('closed'));
  await assert.rejects(w2, /closed/);
  assert.equal(clock.armed.size, 0);
  clock.advance(5000);
  assert.equal(timeouts, 0);
});
