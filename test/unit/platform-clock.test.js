// platform/clock.ts: the masters' and the daemon's monotonic milliseconds
// without node:perf_hooks (issue 17): near 0 at start, never back, sub-ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monotonicMs } from '../../dist/platform/clock.js';

test('monotonicMs counts milliseconds from its load, never goes back, and has sub-millisecond steps', () => {
  const first = monotonicMs();
  assert.ok(first >= 0 && first < 60_000, `near 0 at start: ${first}`);
  let prev = first;
  let fractional = false;
  for (let i = 0; i < 10_000; i++) {
    const now = monotonicMs();
    assert.ok(now >= prev, `went back: ${prev} → ${now}`);
    if (!Number.isInteger(now)) fractional = true;
    prev = now;
  }
  assert.ok(fractional, 'sub-millisecond precision');
});

test('monotonicMs advances as a millisecond clock', async () => {
  const t0 = monotonicMs();
  const d0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const elapsed = monotonicMs() - t0;
  const wall = Date.now() - d0;
  assert.ok(elapsed >= 45, `at least the timer's 50 ms: ${elapsed}`);
  assert.ok(Math.abs(elapsed - wall) < 20, `the same pace as the wall clock: ${elapsed} vs ${wall}`);
});
