// A worker's next snapshot reuses what did not change in its last one
// (parseSnapshot's `previous`): the same series at the same place keeps its
// value object (same number) or its labels object (new number), and anything
// else is parsed and checked afresh. The page must read as if parsed anew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSnapshot, seriesKey } from '../../dist/metrics/snapshot.js';
import { mergeSnapshots } from '../../dist/metrics/merge.js';
import { renderFamilies } from '../../dist/metrics/render.js';

const family = (values, over = {}) => ({ name: 'hits_total', help: 'h', type: 'counter', aggregator: 'sum', values, ...over });
const routes = (n, bump = {}) => Array.from({ length: n }, (_, i) => ({ value: i + (bump[i] ?? 0), labels: { route: `r${i}`, code: 200 } }));
const parse = (raw, prev) => {
  const r = parseSnapshot(JSON.parse(JSON.stringify(raw)), prev);
  assert.equal(r.ok, true, r.error);
  return r.snapshot;
};

test('an unchanged series keeps its object; a changed one keeps its labels object and key, with the new number', () => {
  const first = parse([family(routes(3))]);
  const keys = first[0].values.map(seriesKey);
  const next = parse([family(routes(3, { 1: 5 }))], first);
  assert.equal(next[0].values[0], first[0].values[0]);
  assert.equal(next[0].values[2], first[0].values[2]);
  assert.notEqual(next[0].values[1], first[0].values[1]);
  assert.equal(next[0].values[1].value, 6);
  assert.equal(next[0].values[1].labels, first[0].values[1].labels);
  assert.equal(seriesKey(next[0].values[1]), keys[1]);
  assert.deepEqual(next, parse([family(routes(3, { 1: 5 }))]), 'reads as a snapshot parsed anew');
});

test('a series that is not the same at its place is parsed anew, and still checked', () => {
  const first = parse([family(routes(2)), family([{ value: 1, labels: {}, metricName: 'x_bucket' }], { name: 'lat', type: 'histogram' })]);
  const cases = [
    [{ value: 0, labels: { route: 'r9', code: 200 } }, { route: 'r9', code: 200 }], // another label value
    [{ value: 0, labels: { route: 'r0' } }, { route: 'r0' }], // a label fewer
    [{ value: 0, labels: { route: 'r0', code: 200, extra: 'y' } }, { route: 'r0', code: 200, extra: 'y' }], // a label more
    [{ value: 0, labels: { route: 'r0', code: '200' } }, { route: 'r0', code: '200' }], // "200" is not 200 here (the key makes them one series)
  ];
  for (const [sent, labels] of cases) {
    const next = parse([family([sent, routes(2)[1]]), first[1]], first);
    assert.deepEqual(next[0].values[0].labels, labels);
    assert.notEqual(next[0].values[0].labels, first[0].values[0].labels);
    assert.equal(next[0].values[1], first[0].values[1]);
  }
  // Another metricName at the same place, and another family name at the same index: not taken over.
  const other = parse([family(routes(2)), family([{ value: 1, labels: {}, metricName: 'x_count' }], { name: 'lat', type: 'histogram' })], first);
  assert.equal(other[1].values[0].metricName, 'x_count');
  const renamed = parse([family(routes(2), { name: 'other_total' })], first);
  assert.notEqual(renamed[0].values[0], first[0].values[0]);
  // A bad value where a good one was is refused, as without a previous snapshot.
  for (const bad of [{ value: '1', labels: { route: 'r0', code: 200 } }, { value: 1, labels: { route: 'r0', code: 200, 'b-ad': 1 } }, { value: 1, labels: 'r0' }]) {
    assert.equal(parseSnapshot([family([bad, routes(2)[1]])], first).ok, false, JSON.stringify(bad));
  }
});

test('merged pages over a run of pushes equal those from snapshots parsed anew', () => {
  const workers = 3;
  let reused = Array.from({ length: workers }, () => undefined);
  for (let push = 0; push < 20; push++) {
    const raws = Array.from({ length: workers }, (_, w) => {
      // Series move, appear (the list grows) and change labels now and then.
      const values = routes(5 + (push % 4), { [push % 5]: push * (w + 1) });
      if (push % 7 === 3) values[2] = { value: 1, labels: { route: 'moved', code: 500 } };
      return [family(values), family([{ value: w + push, labels: {} }], { name: 'temp', type: 'gauge', aggregator: 'max' })];
    });
    reused = raws.map((raw, w) => parse(raw, reused[w]));
    const fresh = raws.map((raw) => parse(raw));
    assert.equal(renderFamilies(mergeSnapshots(reused), false), renderFamilies(mergeSnapshots(fresh), false), `push ${push}`);
  }
});
