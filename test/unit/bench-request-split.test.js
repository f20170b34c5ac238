// The openloop benchmark's split of the slowest requests (bench/lib/request-split.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestSplit } from '../../bench/lib/request-split.js';

test('each request is matched to its connection; the tail splits into master, hand-off and worker time', () => {
  const origin = 1000;
  // pid 7: three connections; the third waited 30 ms in the master, then 5 ms at the worker.
  const traces = {
    dispatches: [
      { at: 1000.5, chosen: 7 },
      { at: 1010.5, chosen: 7 },
      { at: 1050, chosen: 7 },
    ],
    apps: new Map([[7, { conns: [[1001, 1002], [1011, 1012], [1051, 1056]], closes: [], burns: [] }]]),
  };
  const samples = [
    { at: 0, latency: 2.5, pid: 7 },
    { at: 10, latency: 2.5, pid: 7 },
    { at: 20, latency: 36.5, pid: 7 },
    { at: 30, latency: 1, pid: 8 }, // no log for pid 8: not matched
  ];
  const r = requestSplit(samples, origin, traces, 0.3);
  assert.equal(r.matched, 3 / 4);
  assert.equal(r.tail, 1);
  assert.equal(r.toMaster, 30);
  assert.equal(r.toWorker, 31);
  assert.equal(r.atWorker, 5);
});

test("without a dispatch trace (Node's cluster) only the worker's side is known", () => {
  const traces = { dispatches: [], apps: new Map([[3, { conns: [[110, 130]], closes: [], burns: [] }]]) };
  const r = requestSplit([{ at: 0, latency: 31, pid: 3 }], 100, traces);
  assert.equal(r.toMaster, null);
  assert.equal(r.toWorker, 10);
  assert.equal(r.atWorker, 20);
  assert.equal(requestSplit([], 100, null), null);
});
