// The shared state store's families on a real `drover run --metrics-port 0`:
// keys, bytes, rev, watches, writes by result, resets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture, runDrover } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { homeToken, metricsPort, scrape } from '../helpers/metrics.js';
import { sample } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/wait.js';

test('drover_state_* families count what the workers did with the store', async (t) => {
  const DROVER_HOME = mkdtempSync(path.join(tmpdir(), 'drover-state-metrics-'));
  t.after(() => rmSync(DROVER_HOME, { recursive: true, force: true }));
  const d = runDrover(t, [fixture('state-metrics-app.js'), '-i', '2', '--metrics-port', '0', '--state-backend', 'memory'], { env: { PORT: '0', DROVER_HOME } });
  const appPort = await d.ready();
  const port = await metricsPort(d);
  const token = homeToken(DROVER_HOME);
  // Both workers' watches are registered (each watch is a request the workers send at boot).
  await waitFor(async () => sample(await scrape(port, token), 'drover_state_watchers') === 2, { message: 'two watches in drover_state_watchers' });

  for (const key of ['a', 'b', 'c']) assert.equal((await request({ port: appPort, path: `/set?key=${key}` })).status, 200);
  assert.equal((await request({ port: appPort, path: '/conflict' })).status, 200);
  const page = await scrape(port, token);
  const app = 'state-metrics-app';
  assert.equal(sample(page, 'drover_state_keys', { app }), 3);
  assert.equal(sample(page, 'drover_state_rev', { app }), 3);
  assert.ok(sample(page, 'drover_state_bytes', { app }) > 0);
  assert.equal(sample(page, 'drover_state_writes_total', { app, result: 'ok' }), 3);
  assert.equal(sample(page, 'drover_state_writes_total', { app, result: 'conflict' }), 1);
  assert.equal(sample(page, 'drover_state_writes_total', { app, result: 'error' }), 0);
  assert.equal(sample(page, 'drover_state_resets_total', { app }), 0);
  assert.equal(page.families.get('drover_state_writes_total').type, 'counter');
  assert.equal(page.families.get('drover_state_keys').type, 'gauge');
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});
