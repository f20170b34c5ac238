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
  // Each monotonic reading between two wall-clock readings: a process descheduled
  // between two adjacent reads (100+ ms on a loaded machine) widens the bracket
  // instead of failing the test. Date.now() is whole milliseconds: 1 ms each end.
  const before = [Date.now()];
  const t0 = monotonicMs();
  before.push(Date.now());
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = [Date.now()];
  const elapsed = monotonicMs() - t0;
  after.push(Date.now());
  const shortest = after[0] - before[1] - 2;
  const longest = after[1] - before[0] + 2;
  assert.ok(elapsed >= 45, `at least the timer's 50 ms: ${elapsed}`);
  assert.ok(elapsed >= shortest && elapsed <= longest, `the same pace as the wall clock: ${elapsed} ms, the wall clock says ${shortest}..${longest}`);
});
