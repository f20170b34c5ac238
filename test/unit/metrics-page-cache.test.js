// The /metrics page of an app master is cached: the same bytes while nothing
// changed; a lifecycle event or a changed push makes the next scrape read again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AppMetrics } from '../../dist/metrics/app-metrics.js';
import { parsePrometheus, sample } from '../helpers/prom-text.js';
import { holdsFor, waitFor } from '../helpers/wait.js';

function fakeSupervisor() {
  const sup = new EventEmitter();
  const handlers = new Map();
  sup.spec = { name: 'web', balance: 'round-robin', mode: 'node' };
  sup.desired = 2;
  sup.store = undefined;
  sup.list = [
    { wid: 1, slot: 0, pid: 101, phase: 'ready', role: 'worker', connections: 0, connectionsHanded: 0, uptimeMs: 1000 },
    { wid: 2, slot: 1, pid: 102, phase: 'ready', role: 'worker', connections: 0, connectionsHanded: 0, uptimeMs: 1000 },
  ];
  sup.workers = () => sup.list;
  sup.messageCounts = () => ({ send: 0, publish: 0, request: 0, reply: 0, ipc: 0 });
  sup.messages = {
    on: (topic, fn) => (handlers.set(topic, fn), () => handlers.delete(topic)),
    send: async () => {},
  };
  return { sup, handlers };
}

const counter = (v) => [{ name: 'app_hits_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: v, labels: {} }] }];

test('the page is the same bytes until an event or a changed push; then it is read again', async (t) => {
  const { sup, handlers } = fakeSupervisor();
  const metrics = await AppMetrics.create(sup, { perWorker: false, intervalMs: 60_000 });
  t.after(() => metrics.close());
  const pushTopic = [...handlers.keys()].find((k) => /push/.test(k));
  assert.ok(pushTopic, `the collector listens for pushes: ${[...handlers.keys()]}`);
  const push = (slot, pid, v) => handlers.get(pushTopic)(`${pid}\n${JSON.stringify(counter(v))}`, { from: slot });

  const first = await metrics.render(false);
  assert.equal(sample(parsePrometheus(first.body.toString()), 'drover_workers_desired'), 2);
  sup.desired = 3; // a gauge moves with no event: the cached page stands (for at most intervalMs)
  const second = await metrics.render(false);
  assert.equal(second.body, first.body, 'the same Buffer');

  sup.emit('scale', { event: 'scale', from: 2, to: 3 });
  const third = parsePrometheus((await metrics.render(false)).body.toString());
  assert.equal(sample(third, 'drover_workers_desired'), 3, 'an event makes the next scrape read the families again');

  push(0, 101, 5);
  push(1, 102, 7);
  const fourth = parsePrometheus((await metrics.render(false)).body.toString());
  assert.equal(sample(fourth, 'app_hits_total', { app: 'web' }), 12);
  assert.equal(sample(fourth, 'drover_master_process_resident_memory_bytes', { app: 'web' }) > 0, true);
  const om = await metrics.render(true);
  assert.match(om.contentType, /openmetrics/);
  assert.match(om.body.toString(), /^app_hits_total\{app="web"\} 12$/m);
  assert.match(om.body.toString(), /# EOF\n$/);
});

test("while scrapes come, drover's own families are read again by a timer when a reading turns an interval old, not by a scrape; without scrapes, not at all", async (t) => {
  const { sup } = fakeSupervisor();
  const metrics = await AppMetrics.create(sup, { perWorker: false, intervalMs: 100 });
  t.after(() => metrics.close());
  const registry = metrics.own.registry;
  const read = registry.getMetricsAsJSON.bind(registry);
  let reads = 0;
  registry.getMetricsAsJSON = () => (reads++, read());

  await metrics.render(false);
  assert.equal(reads, 1, 'the first scrape reads them');
  await metrics.render(false);
  assert.equal(reads, 1, 'a second scrape within the interval is served from that reading');
  await waitFor(() => reads >= 2, { timeoutMs: 5_000, message: 'a reading by the timer, with no scrape since' });
  // No scrape for more than two intervals: the timer stops, and nothing reads them any more.
  await waitFor(() => metrics.refreshing === undefined, { timeoutMs: 5_000, message: 'the timer to stop' });
  const settled = reads;
  await holdsFor(() => reads === settled, 400, { message: 'no reading without scrapes' });
});
