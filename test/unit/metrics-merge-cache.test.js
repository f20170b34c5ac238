// The app part of an app master's page is merged again after every changed push
// with what earlier merges left behind (series keys per value object, labels
// objects per series, label text per labels object). These tests replay pushes
// and exits and compare each page with a merge made from scratch by the plain
// functions (the app label put on before the merge), line for line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AppMetrics } from '../../dist/metrics/app-metrics.js';
import { mergeSnapshots } from '../../dist/metrics/merge.js';
import { renderFamilies } from '../../dist/metrics/render.js';
import { accumulate, withLabel } from '../../dist/metrics/snapshot.js';
import { parsePrometheus, sample } from '../helpers/prom-text.js';

function fakeSupervisor(slots) {
  const sup = new EventEmitter();
  const handlers = new Map();
  sup.spec = { name: 'web', balance: 'round-robin', mode: 'node' };
  sup.desired = slots;
  sup.store = undefined;
  sup.list = Array.from({ length: slots }, (_, i) => ({ wid: i + 1, slot: i, pid: 100 + i, phase: 'ready', role: 'worker', connections: 0, connectionsHanded: 0, uptimeMs: 1000 }));
  sup.workers = () => sup.list;
  sup.messageCounts = () => ({ send: 0, publish: 0, request: 0, reply: 0, ipc: 0 });
  sup.messages = { on: (topic, fn) => (handlers.set(topic, fn), () => handlers.delete(topic)), send: async () => {} };
  return { sup, handlers };
}

/** A worker's snapshot at step n: a moving counter, a histogram, a max gauge, a label that needs escaping, a series that comes and goes. */
function snapshot(slot, n) {
  const routes = [{ value: n + slot, labels: { route: 'a' } }, { value: 2 * n, labels: { route: 'b"\\\n', code: 200 } }];
  if ((n + slot) % 3 === 0) routes.push({ value: 1, labels: { route: `only-${slot}` } });
  return [
    { name: 'app_hits_total', help: 'hits', type: 'counter', aggregator: 'sum', values: routes },
    {
      name: 'app_lat_seconds',
      help: 'latency',
      type: 'histogram',
      aggregator: 'sum',
      values: [
        { value: n, labels: { le: 0.1 }, metricName: 'app_lat_seconds_bucket' },
        { value: n + 1, labels: { le: '+Inf' }, metricName: 'app_lat_seconds_bucket' },
        { value: n / 10, labels: {}, metricName: 'app_lat_seconds_sum' },
        { value: n + 1, labels: {}, metricName: 'app_lat_seconds_count' },
      ],
    },
    { name: 'app_temp', help: 'temperature', type: 'gauge', aggregator: 'max', values: [{ value: (n * 7 + slot) % 11, labels: {} }] },
  ];
}

const APP_FAMILY = /^(# (HELP|TYPE) )?app_/;
const appLines = (text) => text.split('\n').filter((l) => APP_FAMILY.test(l));

function reference(live, retired, perWorker) {
  const inputs = perWorker ? [...live].map(([slot, s]) => withLabel(s, 'worker', String(slot))) : [...live.values()];
  if (perWorker) for (const [slot, r] of retired) inputs.push(withLabel(r, 'worker', String(slot)));
  else {
    let all = [];
    for (const r of retired.values()) all = accumulate(all, r);
    if (all.length > 0) inputs.push(all);
  }
  return appLines(renderFamilies(mergeSnapshots(inputs.map((s) => withLabel(s, 'app', 'web', true))), false));
}

for (const perWorker of [false, true]) {
  test(`after every push and exit the page's app series are a merge from scratch (perWorker ${perWorker})`, async (t) => {
    const { sup, handlers } = fakeSupervisor(3);
    const metrics = await AppMetrics.create(sup, { perWorker, intervalMs: 60_000 });
    t.after(() => metrics.close());
    const push = handlers.get([...handlers.keys()].find((k) => /push/.test(k)));
    const live = new Map();
    const retired = new Map();
    // A fixed order that pushes each slot several times between the others' pushes, then one exit and a replacement.
    const order = [0, 1, 2, 2, 2, 0, 1, 1, 0, 2, 0, 0, 1];
    for (const [n, slot] of order.entries()) {
      const w = sup.list[slot];
      const s = snapshot(slot, n);
      push(`${w.pid}\n${JSON.stringify(s)}`, { from: slot });
      live.set(slot, s);
      if (n === 8) {
        // Slot 1 exits: its counters and histogram stay in the sums, its gauge goes; a new process takes the slot.
        sup.emit('exit', { event: 'exit', wid: w.wid, pid: w.pid, slot });
        const gone = live.get(slot);
        live.delete(slot);
        retired.set(slot, accumulate(retired.get(slot) ?? [], gone));
        sup.list[slot] = { ...w, wid: 10 + n, pid: 200 + n };
      }
      const text = (await metrics.render(false)).body.toString();
      parsePrometheus(text);
      assert.deepEqual(appLines(text), reference(live, retired, perWorker), `step ${n} (slot ${slot})`);
    }
  });
}

test("an app's own label named app stays, and series that differ only by it merge as before", async (t) => {
  const { sup, handlers } = fakeSupervisor(2);
  const metrics = await AppMetrics.create(sup, { perWorker: false, intervalMs: 60_000 });
  t.after(() => metrics.close());
  const push = handlers.get([...handlers.keys()].find((k) => /push/.test(k)));
  const c = (values) => [{ name: 'app_jobs_total', help: 'jobs', type: 'counter', aggregator: 'sum', values }];
  push(`100\n${JSON.stringify(c([{ value: 2, labels: { app: 'web', q: 'x' } }, { value: 5, labels: { app: 'other' } }]))}`, { from: 0 });
  push(`101\n${JSON.stringify(c([{ value: 3, labels: { q: 'x' } }]))}`, { from: 1 });
  const page = parsePrometheus((await metrics.render(false)).body.toString());
  assert.equal(sample(page, 'app_jobs_total', { app: 'web', q: 'x' }), 5, 'one series: the label the app gave equals the one drover adds');
  assert.equal(sample(page, 'app_jobs_total', { app: 'other' }), 5);
});
