// The master's side of pushed app metrics, with a fake messenger and a fake
// clock: what a push stores, what it refuses, when a worker counts as late,
// and that an exited worker's counters stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppMetricsCollector, STALE_GRACE_MS } from '../../dist/metrics/collector.js';
import { mergeSnapshots } from '../../dist/metrics/merge.js';
import { METRICS_PUSH, METRICS_REGISTER, METRICS_WANTED } from '../../dist/metrics/topics.js';

function fakeMessenger() {
  const listeners = new Map();
  const sent = [];
  return {
    sent,
    on(topic, fn) {
      listeners.set(topic, fn);
      return () => listeners.delete(topic);
    },
    async send(to, topic, payload) {
      sent.push({ to, topic, payload });
    },
    deliver(topic, payload, from) {
      listeners.get(topic)?.(payload, { from });
    },
  };
}

const counter = (v) => [{ name: 'hits_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: v, labels: {} }] }];
const hits = (c) => mergeSnapshots(c.store.snapshots(false)).find((m) => m.name === 'hits_total')?.values[0]?.value;

function setup() {
  const messages = fakeMessenger();
  let now = 1_000;
  const workers = [
    { wid: 1, slot: 0, pid: 101 },
    { wid: 2, slot: 1, pid: 102 },
  ];
  const errors = [];
  const c = new AppMetricsCollector(messages, () => workers, (slot, error) => errors.push({ slot, error }), 500, () => now);
  return { c, messages, workers, errors, tick: (ms) => (now += ms) };
}

test('a new collector asks every worker to push; a registration is answered with the interval', () => {
  const { messages } = setup();
  assert.deepEqual(messages.sent[0], { to: 'workers', topic: METRICS_WANTED, payload: { intervalMs: 500 } });
  messages.deliver(METRICS_REGISTER, { pid: 101 }, 0);
  assert.deepEqual(messages.sent[1], { to: 0, topic: METRICS_WANTED, payload: { intervalMs: 500 } });
});

test('pushes are merged; an unchanged push only refreshes; bad ones count errors and keep the last snapshot', () => {
  const { c, messages, errors } = setup();
  messages.deliver(METRICS_PUSH, `101\n${JSON.stringify(counter(3))}`, 0);
  messages.deliver(METRICS_PUSH, `102\n${JSON.stringify(counter(4))}`, 1);
  assert.equal(hits(c), 7);
  const v = c.store.version;
  messages.deliver(METRICS_PUSH, '101', 0);
  messages.deliver(METRICS_PUSH, `101\n${JSON.stringify(counter(3))}`, 0);
  assert.equal(c.store.version, v, 'nothing changed, nothing to merge again');
  messages.deliver(METRICS_PUSH, `101\n{not json`, 0);
  messages.deliver(METRICS_PUSH, `101\n${JSON.stringify([{ name: 'bad name', type: 'counter', values: [] }])}`, 0);
  messages.deliver(METRICS_PUSH, `999\n${JSON.stringify(counter(50))}`, 0);
  messages.deliver(METRICS_PUSH, `102\n${JSON.stringify(counter(50))}`, 0);
  messages.deliver(METRICS_PUSH, { pid: 101 }, 0);
  assert.equal(errors.length, 5, JSON.stringify(errors));
  assert.equal(hits(c), 7);
});

test('a worker silent for two intervals and the grace counts a collect error at each scrape', () => {
  const { c, messages, workers, errors, tick } = setup();
  messages.deliver(METRICS_REGISTER, { pid: 101 }, 0);
  messages.deliver(METRICS_PUSH, `101\n${JSON.stringify(counter(1))}`, 0);
  tick(2 * 500 + STALE_GRACE_MS);
  c.checkLate(workers);
  assert.equal(errors.length, 0, 'not late yet; and worker 2 never registered');
  tick(1);
  c.checkLate(workers);
  assert.deepEqual(errors.map((e) => e.slot), [0]);
  messages.deliver(METRICS_PUSH, '101', 0);
  c.checkLate(workers);
  assert.equal(errors.length, 1);
  assert.equal(hits(c), 1, 'its last snapshot still counts');
});

test("an exited worker's counters stay in the sum", () => {
  const { c, messages, workers } = setup();
  messages.deliver(METRICS_PUSH, `101\n${JSON.stringify(counter(10))}`, 0);
  c.exited(1, 101);
  workers[0] = { wid: 3, slot: 0, pid: 103 };
  messages.deliver(METRICS_PUSH, `103\n${JSON.stringify(counter(2))}`, 0);
  assert.equal(hits(c), 12);
});
