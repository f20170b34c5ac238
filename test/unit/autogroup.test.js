// The autogroup nice that makes N detached workers weigh one session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareNice } from '../../dist/runtime/autogroup.js';

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
