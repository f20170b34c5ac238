// The autogroup nice that makes N detached workers weigh one session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogroupWriter, RETRY_MS, shareNice } from '../../dist/runtime/autogroup.js';

// sched_prio_to_weight, nice 0..19 (kernel/sched/core.c)
const WEIGHT = [1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15];

test('one worker keeps nice 0; two get nice 3 (2 x 526 ~ 1024); the result never leaves 0..19', () => {
  assert.equal(shareNice(1), 0);
  assert.equal(shareNice(0), 0);
  assert.equal(shareNice(2), 3);
  assert.equal(shareNice(4), 6);
  assert.equal(shareNice(1000), 19);
});

test('for 2..40 workers the chosen nice is the closest to one session of any nice', () => {
  for (let n = 2; n <= 40; n++) {
    const nice = shareNice(n);
    const err = Math.abs(n * WEIGHT[nice] - 1024);
    for (let other = 0; other < WEIGHT.length; other++) assert.ok(err <= Math.abs(n * WEIGHT[other] - 1024), `n=${n}: nice ${other} is closer than ${nice}`);
    assert.ok(Math.abs(n * WEIGHT[nice] / 1024 - 1) < 0.25, `n=${n}: total weight ${n * WEIGHT[nice]} within 25% of 1024`);
  }
});

// Without CAP_SYS_ADMIN the kernel takes one autogroup write per 100 ms (EAGAIN before): the writer queues and retries.
test('AutogroupWriter: writes refused with EAGAIN are retried in order, one per RETRY_MS; exited pids are dropped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const log = [];
  let openAt = 0; // the fake kernel accepts a write once the clock reaches openAt
  let now = 0;
  const gone = new Set([13]);
  const writer = new AutogroupWriter((pid, nice) => {
    if (gone.has(pid)) return 'failed';
    if (now < openAt) return 'again';
    openAt = now + 100;
    log.push([now, pid, nice]);
    return 'ok';
  });
  const tick = (ms) => {
    now += ms;
    t.mock.timers.tick(ms);
  };
  assert.equal(writer.set([11, 12, 13, 14], 6), true);
  assert.deepEqual(log, [[0, 11, 6]], 'the first write goes through at once');
  assert.equal(writer.pending, 3);
  tick(RETRY_MS);
  assert.deepEqual(log.at(-1), [RETRY_MS, 12, 6]);
  // A newer value for a queued pid replaces it, and stays in the queue's order.
  writer.set([14], 3);
  tick(RETRY_MS);
  assert.deepEqual(log.at(-1), [2 * RETRY_MS, 14, 3], 'pid 13 exited: dropped without waiting; 14 gets its newer value');
  assert.equal(writer.pending, 0);
  tick(RETRY_MS * 3);
  assert.equal(log.length, 3, 'nothing is written twice');
});

test('AutogroupWriter: a failed write (no such process, not permitted) is not retried and counts as nothing written', () => {
  const writer = new AutogroupWriter(() => 'failed');
  assert.equal(writer.set([1, 2], 3), false);
  assert.equal(writer.pending, 0);
});
