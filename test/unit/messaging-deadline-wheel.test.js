// The hub's request timeouts (deadline-wheel.ts): one timer for many
// deadlines, never early, at most GRANULARITY_MS late; the timer no longer
// holds the process once no deadline is pending (a process with nothing to
// wait for may exit), and requests made one at a time re-use it.
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

test('no timer holds the process once every deadline is cleared or has fired', (t) => {
  const { wheel } = fake(t);
  const handles = Array.from({ length: 1000 }, () => wheel.setTimeout(() => assert.fail('cleared'), 10_000));
  assert.ok(wheel.holdsProcess, 'armed while deadlines are pending');
  for (const h of handles) wheel.clearTimeout(h);
  assert.equal(wheel.holdsProcess, false);
});

test('requests one at a time re-use the one timer (no Node timer inserted and removed per request)', (t) => {
  const { wheel, advance } = fake(t);
  const armed = [];
  const saved = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms) => (armed.push(ms), saved(fn, ms));
  // Restored before the t.after hooks (mock.timers.reset) run, so the real setTimeout comes back.
  try {
    countArms(wheel, advance, armed);
  } finally {
    globalThis.setTimeout = saved;
  }
});

function countArms(wheel, advance, armed) {
  for (let i = 0; i < 1000; i++) {
    const h = wheel.setTimeout(() => assert.fail('cleared'), 10_000);
    assert.ok(wheel.holdsProcess);
    wheel.clearTimeout(h);
    assert.equal(wheel.holdsProcess, false);
    if (i % 100 === 0) advance(1);
  }
  assert.equal(armed.length, 1);
  // The idle timer fires with nothing due and is gone; a later deadline arms a new one that still fires on time.
  advance(10_000 + GRANULARITY_MS);
  let fired = 0;
  wheel.setTimeout(() => fired++, 50);
  advance(50 + GRANULARITY_MS);
  assert.equal(fired, 1);
  assert.equal(armed.length, 2);
  assert.equal(wheel.holdsProcess, false);
}

test('a shorter deadline after an idle spell still fires on time', (t) => {
  const { wheel, advance } = fake(t);
  wheel.clearTimeout(wheel.setTimeout(() => assert.fail('cleared'), 10_000));
  let fired = 0;
  wheel.setTimeout(() => fired++, 100);
  advance(100 + GRANULARITY_MS);
  assert.equal(fired, 1);
});

test('clearing deadlines first, last and in the middle of one rounded time leaves the others to fire; an emptied bucket is re-used', (t) => {
  const { wheel, advance } = fake(t);
  const fired = [];
  const h = [0, 1, 2, 3, 4].map((i) => wheel.setTimeout(() => fired.push(i), 100));
  for (const i of [0, 2, 4]) wheel.clearTimeout(h[i]);
  advance(100 + GRANULARITY_MS);
  assert.deepEqual(fired.sort(), [1, 3]);
  // One request at a time: the bucket empties after each, and the next in the same rounded time goes back into it.
  wheel.clearTimeout(wheel.setTimeout(() => fired.push('cleared'), 100));
  wheel.setTimeout(() => fired.push('again'), 100);
  assert.ok(wheel.holdsProcess);
  advance(100 + GRANULARITY_MS);
  assert.deepEqual(fired.sort(), [1, 3, 'again']);
  assert.equal(wheel.holdsProcess, false);
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
  assert.equal(wheel.holdsProcess, false);
});

test('a real process whose deadlines are all cleared exits (the idle timer is unref\'d), one with a pending deadline does not', async (t) => {
  const { spawn } = await import('node:child_process');
  const url = new URL('../../dist/messaging/deadline-wheel.js', import.meta.url).href;
  const run = (clear) => {
    const code = `const { DeadlineWheel } = await import(${JSON.stringify(url)}); const w = new DeadlineWheel(); const h = w.setTimeout(() => process.stdout.write('fired'), 60000); ${clear ? 'w.clearTimeout(h);' : ''}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    return child;
  };
  const idle = run(true);
  const code = await new Promise((resolve) => idle.once('exit', resolve));
  assert.equal(code, 0);
  // The control: the same process with the deadline pending is still alive once the first has exited and more.
  const held = run(false);
  const exited = await Promise.race([new Promise((resolve) => held.once('exit', () => resolve(true))), new Promise((resolve) => setTimeout(() => resolve(false), 1500))]);
  assert.equal(exited, false, 'a pending deadline keeps the process alive');
});
