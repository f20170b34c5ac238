// The hub's request timeouts (deadline-wheel.ts): one timer for many
// deadlines, never early, at most GRANULARITY_MS late; the timer is gone once
// no deadline is pending (a process with nothing to wait for may exit).
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineWheel, GRANULARITY_MS } from '../../dist/messaging/deadline-wheel.js';
import { PendingRequests } from '../../dist/messaging/rpc.js';

function fake(t) {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  let now = 1000;
  const wheel = new DeadlineWheel(() => now);
  const advance = (ms) => {
    now += ms;
    mock.timers.tick(ms);
  };
  return { wheel, advance };
}

test('deadlines fire in order, never early, at most GRANULARITY_MS late; cleared ones never', (t) => {
  const { wheel, advance } = fake(t);
  const fired = [];
  wheel.setTimeout(() => fired.push('b'), 100);
  wheel.setTimeout(() => fired.push('a'), 50);
  const c = wheel.setTimeout(() => fired.push('c'), 60);
  wheel.clearTimeout(c);
  wheel.clearTimeout(c);
  advance(49);
  assert.deepEqual(fired, []);
  advance(1 + GRANULARITY_MS);
  assert.deepEqual(fired, ['a']);
  advance(50);
  assert.deepEqual(fired, ['a', 'b']);
  // A callback may set a deadline of its own.
  wheel.setTimeout(() => wheel.setTimeout(() => fired.push('nested'), 30), 10);
  advance(10 + GRANULARITY_MS);
  advance(30 + GRANULARITY_MS);
  assert.deepEqual(fired, ['a', 'b', 'nested']);
});

test('no timer is left once every deadline is cleared or has fired', (t) => {
  const { wheel } = fake(t);
  const handles = Array.from({ length: 1000 }, () => wheel.setTimeout(() => assert.fail('cleared'), 10_000));
  assert.ok(wheel.timer, 'armed while deadlines are pending');
  for (const h of handles) wheel.clearTimeout(h);
  assert.equal(wheel.timer, undefined);
});

test('PendingRequests on the wheel: a request times out with its own timeout in the message', async (t) => {
  const { wheel, advance } = fake(t);
  const rpc = new PendingRequests(wheel);
  const slow = rpc.add(1, { what: "request 'x' to worker 0", timeoutMs: 200, tag: 0 });
  const fast = rpc.add(2, { what: "request 'y' to worker 0", timeoutMs: 200, tag: 0 });
  rpc.resolve(2, 'ok');
  advance(199);
  assert.equal(rpc.size, 1);
  advance(1 + GRANULARITY_MS);
  await assert.rejects(slow, (err) => err.code === 'DROVER_E_MSG_TIMEOUT' && /got no reply within 200 ms/.test(err.message));
  assert.equal(await fast, 'ok');
  assert.equal(wheel.timer, undefined);
});
