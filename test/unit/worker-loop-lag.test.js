// worker/loop-lag.ts: the heartbeat's event-loop lag from a 100 ms timer
// instead of perf_hooks' histogram (issue 17), with the histogram's meaning:
// the p99 of the gaps between ticks since the previous reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopLag, hdrP99 } from '../../dist/worker/loop-lag.js';

test('hdrP99 ranks as an HDR histogram: the largest below 50 values, the round(0.99·n)-th smallest above', () => {
  assert.equal(hdrP99([7]), 7);
  assert.equal(hdrP99([100, 2000, 101, 99]), 2000);
  const fortyNine = Array.from({ length: 49 }, (_, i) => i + 1);
  assert.equal(hdrP99(fortyNine.reverse()), 49);
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(hdrP99(hundred), 99);
  const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(hdrP99(thousand), 990);
});

test('a blocked loop shows as one long gap in the next reading, then readings start over', async () => {
  const lag = new LoopLag();
  assert.equal(lag.takeP99Ms(), 0, 'no tick yet');
  const keepAlive = setInterval(() => {}, 1000);
  try {
    // Let at least one tick pass, take it, then block the loop for 400 ms.
    const wait = async (until) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const v = lag.takeP99Ms();
        if (until(v)) return v;
        assert.ok(Date.now() < deadline, 'no tick within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await wait((v) => v > 0);
    const start = Date.now();
    while (Date.now() - start < 400);
    // The block lies within one gap (between two ticks, or across the take above),
    // so the gap that ends after it is at least as long as the block.
    const blocked = await wait((v) => v > 0);
    assert.ok(blocked >= 400, `a 400 ms block read as ${blocked} ms`);
  } finally {
    clearInterval(keepAlive);
  }
});
