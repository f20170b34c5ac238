// The library serves the same endpoints as `drover run --metrics-port`: a real
// script that calls supervise({ metricsPort: 0 }) from the public API, scraped
// over HTTP with its token; the handle's stop() closes the endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { get, scrapeUntil } from '../helpers/metrics.js';
import { sample } from '../helpers/prom-text.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

const TOKEN = 'library-token-library-token';

const refused = (port) =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });

test('supervise({ metricsPort }) serves /metrics, /livez, /readyz and the dashboard; stop() closes them', async (t) => {
  const home = mkdtempSync(path.join(tmpdir(), 'drover-lib-metrics-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const child = spawn(process.execPath, [fixture('supervise-metrics.js')], { env: { ...process.env, DROVER_HOME: home, TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  // On failure: the workers exit by themselves when their IPC channel to the killed master drops.
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const first = await waitFor(() => out.includes('\n') && JSON.parse(out.split('\n')[0]), { timeoutMs: 30_000, message: `the ready line (stderr: ${err.slice(-500)})` });
  const port = first.metrics;
  assert.ok(port > 0 && first.app > 0, out);

  assert.equal((await get({ port, path: '/metrics' })).status, 401, 'the token is required');
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await get({ port, path: '/livez', headers: auth })).status, 200);
  const ready = await get({ port, path: '/readyz?verbose', headers: auth });
  assert.equal(ready.status, 200, ready.body);
  assert.match(ready.body, /2 of 2 workers ready/);
  for (let i = 0; i < 10; i++) assert.equal((await request({ port: first.app, path: '/inc' })).status, 200);
  const page = await scrapeUntil(port, TOKEN, (p) => sample(p, 'app_hits_total') === 10, { message: 'app_hits_total 10 through the library' });
  assert.equal(sample(page, 'drover_workers', { state: 'ready' }), 2);
  assert.ok(sample(page, 'drover_master_process_resident_memory_bytes') > 0);
  const apps = JSON.parse((await get({ port, path: '/api/apps', headers: auth })).body).apps;
  assert.equal(apps[0].workers.length, 2);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.kill('SIGTERM');
  await waitFor(() => out.includes('"stopped"'), { timeoutMs: 20_000, message: `stop() to resolve (stderr: ${err.slice(-500)})` });
  assert.equal(await refused(port), true, 'the endpoint is closed once stop() resolved');
  assert.deepEqual(await withTimeout(exited, 10_000, 'the script to exit on its own (nothing left open)'), { code: 0, signal: null });
});

test('supervise() refuses a non-loopback metricsHost without a token before anything starts', async () => {
  const { supervise } = await import('../../dist/index.js');
  const home = mkdtempSync(path.join(tmpdir(), 'drover-lib-metrics-'));
  // The token file would be looked for in DROVER_HOME: a scratch one, not the user's.
  const before = process.env.DROVER_HOME;
  process.env.DROVER_HOME = home;
  try {
    assert.throws(
      () => supervise({ script: fixture('metrics-app.js'), metricsPort: 0, metricsHost: '0.0.0.0' }, {}),
      (e) => e.code === 'DROVER_E_HTTP_UNSAFE_BIND',
    );
  } finally {
    if (before === undefined) delete process.env.DROVER_HOME;
    else process.env.DROVER_HOME = before;
    rmSync(home, { recursive: true, force: true });
  }
});
