// One token bucket for the hub's frames and the drover IPC guard, refilled on
// every take (fake clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../dist/messaging/token-bucket.js';
import { IpcGuard } from '../../dist/messaging/ipc-guard.js';

function drain(take) {
  let n = 0;
  while (n < 1000 && take()) n++;
  return n;
}

test('a burst of one second, then the rate; idle time is credited as it passes, not all at once', () => {
  let now = 0;
  const bucket = new TokenBucket(10, () => now);
  assert.equal(drain(() => bucket.take()), 10, 'a full bucket: one second worth');
  assert.equal(bucket.waitMs(), 100, 'the next token in 1/rate s');
  now = 250;
  assert.equal(drain(() => bucket.take()), 2);
  // 9 takes at 900 ms, then at 1000 ms: 0.1 s more is one token more, not a second full bucket.
  now = 1900;
  for (let i = 0; i < 9; i++) assert.ok(bucket.take());
  now = 2000;
  assert.equal(drain(() => bucket.take()), 2, 'refilled on every take: the idle time before the 9 takes was already credited');
});

test('a flood is reported at most once a second', () => {
  let now = 0;
  const bucket = new TokenBucket(1, () => now);
  assert.ok(bucket.take());
  assert.equal(bucket.take(), false);
  assert.equal(bucket.reportDue(), true);
  now = 500;
  assert.equal(bucket.reportDue(), false);
  now = 1000;
  assert.equal(bucket.reportDue(), true);
});

test('the IPC guard uses the same bucket: no second burst after a partly used one', () => {
  let now = 0;
  const strikes = [];
  const guard = new IpcGuard({ ratePerSecond: 10, now: () => now, offense: () => {}, strike: (wid, reason) => strikes.push(reason) });
  assert.ok(guard.admit(1, 100, 'stats'));
  now = 900;
  for (let i = 0; i < 9; i++) assert.ok(guard.admit(1, 100, 'stats'));
  now = 1000;
  // Refilling only once empty would credit all 1000 ms here: 10 more.
  assert.equal(drain(() => guard.admit(1, 100, 'stats')), 2);
  assert.equal(strikes.length, 1, 'the flood is one strike');
});
