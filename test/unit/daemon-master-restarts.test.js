// The daemon's decision to restart an app master that died: the core's window
// and backoff on a monotonic clock, driven here by a fake one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideMasterRestart, MASTER_RESTART_POLICY } from '../../dist/daemon/master-restarts.js';

const policy = { maxRestarts: 3, windowMs: 10_000, backoffBaseMs: 100, backoffCapMs: 250 };

test('backoff doubles from the base up to the cap; the window gives up on one death too many', () => {
  let times = [];
  const delays = [];
  let now = 1_000;
  for (let i = 0; i < 3; i++) {
    const d = decideMasterRestart(times, now, policy);
    assert.equal(d.restart, true);
    delays.push(d.delayMs);
    times = d.times;
    now += 1_000;
  }
  assert.deepEqual(delays, [100, 200, 250]);
  const refused = decideMasterRestart(times, now, policy);
  assert.equal(refused.restart, false);
  assert.match(refused.message, /died 3 times within 10 s; not restarting it/);
});

test('deaths older than the window no longer count (a sliding window, not a counter)', () => {
  const times = [5_000, 6_000, 7_000];
  assert.equal(decideMasterRestart(times, 14_999, policy).restart, false, 'all three are inside the window');
  const later = decideMasterRestart(times, 15_000, policy);
  assert.equal(later.restart, true, 'the death at 5000 left the window');
  assert.deepEqual(later.times, [6_000, 7_000, 15_000]);
  assert.equal(later.delayMs, 250);
  const quiet = decideMasterRestart(times, 60_000, policy);
  assert.deepEqual(quiet.times, [60_000]);
  assert.equal(quiet.delayMs, 100, 'after a quiet window the backoff starts over');
});

test('the clock is only compared, never read: a monotonic time near zero works (no wall clock)', () => {
  const d = decideMasterRestart([], 0.5, MASTER_RESTART_POLICY);
  assert.equal(d.restart, true);
  assert.deepEqual(d.times, [0.5]);
  assert.equal(d.delayMs, MASTER_RESTART_POLICY.backoffBaseMs);
});
