// App metrics across workers: snapshots validated, counters never go
// backwards when a worker exits, per-worker series, restart reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { AppMetricsStore } from '../../dist/metrics/app-store.js';
import { accumulate, parseSnapshot } from '../../dist/metrics/snapshot.js';
import { RestartCauses } from '../../dist/metrics/restarts.js';
import { renderJson } from '../../dist/metrics/render.js';
import { mergeSnapshots } from '../../dist/metrics/merge.js';
import { parsePrometheus, sample } from '../helpers/prom-text.js';

const counter = (v, labels = {}) => ({ name: 'hits_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: v, labels }] });
const gauge = (v) => ({ name: 'temp', help: 'h', type: 'gauge', aggregator: 'max', values: [{ value: v, labels: {} }] });

async function page(snapshots) {
  return parsePrometheus(renderJson(mergeSnapshots(snapshots), false).body);
}

test('parseSnapshot refuses what is not prom-client JSON', () => {
  assert.equal(parseSnapshot([counter(1)]).ok, true);
  for (const bad of [null, {}, [{ name: 'bad name', type: 'counter', values: [] }], [{ name: 'x', type: 'weird', values: [] }], [{ name: 'x', type: 'gauge', values: [{ value: 'NaN?' }] }], [{ name: 'x', type: 'gauge', values: [{ value: 1, labels: { 'b-ad': 1 } }] }]]) {
    assert.equal(parseSnapshot(bad).ok, false, JSON.stringify(bad));
  }
});

test('a worker that exits keeps its counters in the sum; its gauges go', async () => {
  const store = new AppMetricsStore();
  store.update(1, 0, [counter(60), gauge(30)]);
  store.update(2, 1, [counter(40), gauge(20)]);
  let p = await page(store.snapshots(false));
  assert.equal(sample(p, 'hits_total'), 100);
  assert.equal(sample(p, 'temp'), 30);
  store.retire(1);
  store.update(3, 0, [counter(0), gauge(10)]);
  p = await page(store.snapshots(false));
  assert.equal(sample(p, 'hits_total'), 100, 'never backwards');
  assert.equal(sample(p, 'temp'), 20, "the exited worker's gauge is gone");
  store.update(3, 0, [counter(5), gauge(10)]);
  store.retire(3);
  store.retire(2);
  p = await page(store.snapshots(false));
  assert.equal(sample(p, 'hits_total'), 105);
});

test("per-worker series keep one series per slot, the exited worker's counts in its slot", async () => {
  const store = new AppMetricsStore();
  store.update(1, 0, [counter(7)]);
  store.update(2, 1, [counter(3)]);
  store.retire(1);
  store.update(3, 0, [counter(2)]);
  const p = await page(store.snapshots(true));
  assert.equal(sample(p, 'hits_total', { worker: 0 }), 9);
  assert.equal(sample(p, 'hits_total', { worker: 1 }), 3);
});

test('histograms are summed bucket by bucket', () => {
  const h = (n) => ({
    name: 'lat',
    help: '',
    type: 'histogram',
    aggregator: 'sum',
    values: [
      { value: n, labels: { le: 0.1 }, metricName: 'lat_bucket' },
      { value: n, labels: { le: '+Inf' }, metricName: 'lat_bucket' },
      { value: n, labels: {}, metricName: 'lat_count' },
    ],
  });
  const merged = accumulate([h(2)], [h(3)]);
  assert.deepEqual(merged[0].values.map((v) => v.value), [5, 5, 5]);
});

test('restart reasons: SIGKILL (exit then restart), announced crash (restart then exit), hang, recycle', () => {
  const c = new RestartCauses();
  const ids = (wid, slot) => ({ wid, slot, pid: 100 + wid });
  assert.equal(c.note({ event: 'exit', ...ids(1, 0), code: null, signal: 'SIGKILL', reason: 'crashed', uptimeMs: 5 }), undefined);
  assert.deepEqual(c.note({ event: 'restart', slot: 0, delayMs: 0, attempt: 1, restartsInWindow: 1 }), { slot: 0, reason: 'crash' });
  c.note({ event: 'hung', ...ids(2, 1), silentMs: 5000 });
  assert.deepEqual(c.note({ event: 'restart', slot: 1, delayMs: 0, attempt: 1, restartsInWindow: 2 }), { slot: 1, reason: 'hung' });
  assert.equal(c.note({ event: 'exit', ...ids(2, 1), code: null, signal: 'SIGTERM', reason: 'hung', uptimeMs: 5 }), undefined);
  c.note({ event: 'crash', ...ids(3, 0), error: 'boom' });
  assert.deepEqual(c.note({ event: 'restart', slot: 0, delayMs: 0, attempt: 1, restartsInWindow: 3 }), { slot: 0, reason: 'crash' });
  assert.equal(c.note({ event: 'exit', ...ids(3, 0), code: 1, signal: null, reason: 'crashed', uptimeMs: 5 }), undefined, 'its exit is no new cause');
  assert.deepEqual(c.note({ event: 'restart', slot: 0, delayMs: 0, attempt: 1, restartsInWindow: 4 }), { slot: 0, reason: 'crash' }, 'a restart without a cause counts as a crash');
  assert.deepEqual(c.note({ event: 'recycle', ...ids(4, 1), reason: 'memory', value: 1 }), { slot: 1, reason: 'memory' });
  assert.equal(c.note({ event: 'recycle', ...ids(4, 1), reason: 'reload', value: 1 }), undefined);
});

test('a spare promoted in place of a crashed worker counts for the crashed slot', () => {
  const c = new RestartCauses();
  c.note({ event: 'exit', wid: 1, slot: 0, pid: 1, code: 1, signal: null, reason: 'crashed', uptimeMs: 5 });
  assert.deepEqual(c.note({ event: 'promote', wid: 3, slot: 2, pid: 3 }), { slot: 0, reason: 'crash' });
});

test("mergeSnapshots gives what prom-client's AggregatorRegistry.aggregate gives", async () => {
  const snapshots = [];
  for (let w = 0; w < 3; w++) {
    const reg = new client.Registry();
    const c = new client.Counter({ name: 'req_total', help: 'requests', labelNames: ['route', 'code'], registers: [reg] });
    const g = new client.Gauge({ name: 'temp_max', help: 'max', aggregator: 'max', labelNames: ['zone'], registers: [reg] });
    const a = new client.Gauge({ name: 'temp_avg', help: 'avg', aggregator: 'average', registers: [reg] });
    const m = new client.Gauge({ name: 'temp_min', help: 'min', aggregator: 'min', registers: [reg] });
    const f = new client.Gauge({ name: 'version_first', help: 'first', aggregator: 'first', registers: [reg] });
    new client.Gauge({ name: 'hidden', help: 'omitted', aggregator: 'omit', registers: [reg] }).set(1);
    const h = new client.Histogram({ name: 'lat_seconds', help: 'latency', buckets: [0.1, 1], labelNames: ['route'], registers: [reg] });
    const s = new client.Summary({ name: 'size_bytes', help: 'sizes', percentiles: [0.5], registers: [reg] });
    for (let i = 0; i < 5 + w; i++) {
      c.inc({ route: `/r${i % 3}`, code: i % 2 ? 200 : '500' }, i + w);
      h.observe({ route: `/r${i % 2}` }, (i + w) / 4);
      s.observe(i * 10 + w);
    }
    g.set({ zone: 'a' }, 10 * w + 1);
    g.set({ zone: `z${w}` }, w);
    a.set(w * 3);
    m.set(5 - w);
    f.set(w + 7);
    snapshots.push(parseSnapshot(await reg.getMetricsAsJSON()).snapshot);
  }
  const theirs = await client.AggregatorRegistry.aggregate(snapshots).getMetricsAsJSON();
  const ours = mergeSnapshots(snapshots);
  const norm = (families) =>
    families
      .map((m) => ({ name: m.name, type: m.type, help: m.help, values: m.values.map((v) => `${v.metricName ?? ''}${JSON.stringify(Object.entries(v.labels).map(([k, x]) => [k, String(x)]).sort())}=${v.value}`).sort() }))
      .sort((a, b) => a.name.localeCompare(b.name));
  assert.ok(ours.length >= 7 && !ours.some((m) => m.name === 'hidden'));
  assert.deepEqual(norm(ours), norm(theirs));
});
