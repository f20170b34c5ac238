// The master's process metrics: prom-client's names under a prefix, read at
// most once per maxAgeMs (a fake clock), valid Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessMetrics, processFamilies } from '../../dist/metrics/process-metrics.js';
import { renderFamilies } from '../../dist/metrics/render.js';
import { parsePrometheus, sample } from '../helpers/prom-text.js';

function fakeReadings() {
  const r = {
    reads: 0,
    cpuUs: 1_500_000,
    cpu() {
      this.reads++;
      return { user: this.cpuUs, system: 500_000 };
    },
    memory: () => ({ rss: 50_000_000, heapTotal: 30, heapUsed: 20, external: 10 }),
    openFds: () => 12,
    startTimeSeconds: 1_700_000_000,
    maxFds: 1024,
    nodeVersion: '20.11.1',
  };
  return r;
}

test('processFamilies: prom-client names under the prefix, counters in seconds, labels kept', () => {
  const page = parsePrometheus(renderFamilies(processFamilies(fakeReadings(), 'drover_master_', { app: 'web' }, 0.002), false));
  assert.equal(sample(page, 'drover_master_process_cpu_user_seconds_total', { app: 'web' }), 1.5);
  assert.equal(sample(page, 'drover_master_process_cpu_seconds_total', { app: 'web' }), 2);
  assert.equal(page.families.get('drover_master_process_cpu_seconds_total').type, 'counter');
  assert.equal(sample(page, 'drover_master_process_resident_memory_bytes', { app: 'web' }), 50_000_000);
  assert.equal(sample(page, 'drover_master_process_open_fds'), 12);
  assert.equal(sample(page, 'drover_master_process_max_fds'), 1024);
  assert.equal(sample(page, 'drover_master_process_start_time_seconds'), 1_700_000_000);
  assert.equal(sample(page, 'drover_master_nodejs_heap_size_used_bytes'), 20);
  assert.equal(sample(page, 'drover_master_nodejs_eventloop_lag_seconds'), 0.002);
  assert.equal(sample(page, 'drover_master_nodejs_version_info', { version: 'v20.11.1', major: '20', minor: '11', patch: '1', app: 'web' }), 1);
});

test('processFamilies: a figure the platform lacks (no /proc, no lag yet) is left out, not written as 0', () => {
  const r = { ...fakeReadings(), openFds: () => undefined, maxFds: undefined };
  const names = processFamilies(r, 'drover_daemon_', {}, undefined).map((m) => m.name);
  assert.ok(names.includes('drover_daemon_process_resident_memory_bytes'));
  for (const gone of ['drover_daemon_process_open_fds', 'drover_daemon_process_max_fds', 'drover_daemon_nodejs_eventloop_lag_seconds']) assert.ok(!names.includes(gone), gone);
});

test('ProcessMetrics reads at most once per maxAgeMs; the version names each reading', () => {
  const r = fakeReadings();
  let now = 0;
  const pm = new ProcessMetrics('drover_master_', { app: 'web' }, 1000, r, () => now);
  const first = pm.families();
  assert.equal(r.reads, 1);
  assert.equal(pm.version, 1);
  now = 999;
  r.cpuUs = 9_000_000;
  assert.equal(pm.families(), first, 'the same reading within maxAgeMs');
  assert.equal(r.reads, 1);
  now = 1000;
  const second = pm.families();
  assert.equal(r.reads, 2);
  assert.equal(pm.version, 2);
  assert.equal(second.find((m) => m.name === 'drover_master_process_cpu_user_seconds_total').values[0].value, 9);
});

test('ProcessMetrics measures the event-loop lag with one setImmediate per reading', async () => {
  let now = 0;
  const pm = new ProcessMetrics('drover_master_', {}, 1000, fakeReadings(), () => now);
  assert.ok(!pm.families().some((m) => m.name.endsWith('eventloop_lag_seconds')), 'no lag before the first probe ran');
  await new Promise((resolve) => setImmediate(resolve));
  now = 2000;
  const lag = pm.families().find((m) => m.name === 'drover_master_nodejs_eventloop_lag_seconds');
  assert.ok(lag && lag.values[0].value >= 0 && lag.values[0].value < 60, JSON.stringify(lag));
});
