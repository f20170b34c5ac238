// @ts-check
// The restart arithmetic on its own: policy × exit reason, the sliding window, the backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, exceedsWindow, pruneWindow, wantsRestart } from '../../dist/core/restart-policy.js';
import { RESTART_CASES } from '../helpers/core.js';

test('wantsRestart: policy × exit code / signal', () => {
  for (const [restart, code, signal, expected] of RESTART_CASES) {
    assert.equal(wantsRestart({ restart, stopExitCodes: [] }, code, signal), expected, `${restart} ${code} ${signal}`);
  }
});

test('wantsRestart: stopExitCodes win over every policy; a signal has no exit code', () => {
  for (const restart of /** @type {const} */ (['always', 'on-failure', 'never'])) {
    assert.equal(wantsRestart({ restart, stopExitCodes: [0, 42] }, 42, null), false);
  }
  assert.equal(wantsRestart({ restart: 'always', stopExitCodes: [0] }, 0, null), false);
  assert.equal(wantsRestart({ restart: 'always', stopExitCodes: [0] }, null, 'SIGKILL'), true);
  assert.equal(wantsRestart({ restart: 'always', stopExitCodes: [42] }, 1, null), true);
});

test('pruneWindow keeps restarts younger than the window (exactly windowMs old has expired)', () => {
  assert.deepEqual(pruneWindow([100, 200, 1_050], 1_100, 1_000), [200, 1_050]);
  assert.deepEqual(pruneWindow([100, 200], 1_099, 1_000), [100, 200]);
  assert.deepEqual(pruneWindow([], 5, 1_000), []);
});

test('exceedsWindow: full once maxRestarts restarts are in it', () => {
  assert.equal(exceedsWindow([], 0), true);
  assert.equal(exceedsWindow([1, 2], 3), false);
  assert.equal(exceedsWindow([1, 2, 3], 3), true);
});

test('backoffDelay: 0, base, 2·base, 4·base … capped', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 100, 1_000)),
    [0, 100, 200, 400, 800, 1_000, 1_000],
  );
  assert.equal(backoffDelay(1, 0, 0), 0);
  assert.equal(backoffDelay(60, 100, 15_000), 15_000, 'no overflow for large attempts');
});
