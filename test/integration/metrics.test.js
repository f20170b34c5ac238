// drover run --metrics-port: /metrics, /livez, /readyz of a real app master
// with real workers: auth, rebinding checks, valid Prometheus text, counters
// that add up across workers and survive a SIGKILL, readiness while draining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixture, runDrover } from '../helpers/drover.js';
import { request } from '../helpers/http.js';
import { get, homeToken, metricsPort, scrape, scrapeUntil } from '../helpers/metrics.js';
import { sample } from '../helpers/prom-text.js';
import { waitFor } from '../helpers/wait.js';

function home(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const APP = fixture('metrics-app.js');

test('metrics add up across workers, survive a SIGKILL, and the restart is counted with reason crash', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '-i', '2', '--metrics-port', '0'], { env: { PORT: '0', DROVER_HOME } });
  const appPort = await d.ready();
  const port = await metricsPort(d);
  const token = homeToken(DROVER_HOME);

  for (let i = 0; i < 100; i++) {
    const res = await request({ port: appPort, path: '/inc' });
    assert.equal(res.status, 200);
  }
  // Workers push every second: the page shows the counts within that.
  let page = await scrapeUntil(port, token, (p) => sample(p, 'app_hits_total') === 100 && sample(p, 'app_latency_seconds_count') === 100, { message: 'app_hits_total 100' });
  assert.equal(sample(page, 'app_latency_seconds_count'), 100);
  assert.equal(sample(page, 'app_temperature_celsius'), 21, 'a max gauge is the max over workers');
  assert.equal(sample(page, 'drover_workers', { state: 'ready' }), 2);
  assert.equal(sample(page, 'drover_balancer_connections_total'), 100);
  assert.equal(page.families.get('drover_worker_restarts_total').type, 'counter');
  for (const s of page.samples) assert.ok(!('pid' in s.labels), `no pid labels: ${s.name}`);
  assert.equal(sample(page, 'drover_log_lines_dropped_total'), 0, 'under drover run too (output is inherited: nothing to drop)');
  // The workers' metric pushes are hub sends; ready and heartbeat replies are IPC messages.
  const sends = sample(page, 'drover_messages_total', { kind: 'send' });
  assert.ok(sends >= 2 && sample(page, 'drover_messages_total', { kind: 'ipc' }) >= 4, `drover_messages_total: ${page.text.match(/^drover_messages_total.*$/gm)}`);
  await scrapeUntil(port, token, (p) => sample(p, 'drover_messages_total', { kind: 'send' }) > sends, { message: 'more hub sends (the next pushes)' });

  const [victim] = d.liveWorkerPids();
  const slot = d.events('fork').find((e) => e.pid === victim).slot;
  process.kill(victim, 'SIGKILL');
  await d.waitEvent('ready', (e) => e.slot === slot && e.pid !== victim);
  page = await waitFor(async () => {
    const p = await scrape(port, token);
    return sample(p, 'drover_worker_restarts_total', { worker: slot, reason: 'crash' }) === 1 && p;
  }, { message: 'the restart in drover_worker_restarts_total' });
  assert.ok(sample(page, 'app_hits_total') >= 100, `counters never go backwards: ${sample(page, 'app_hits_total')}`);
  for (let i = 0; i < 10; i++) await request({ port: appPort, path: '/inc' });
  page = await scrapeUntil(port, token, (p) => sample(p, 'app_hits_total') === 110, { message: 'app_hits_total 110' });
  assert.equal(sample(page, 'drover_metrics_collect_errors_total', { worker: slot }) ?? 0, 0);

  const om = await scrape(port, token, { accept: 'application/openmetrics-text; version=1.0.0' });
  assert.match(om.headers['content-type'], /application\/openmetrics-text/);
  assert.match(om.text, /^# TYPE app_hits counter$/m);
  assert.match(om.text, /^app_hits_total\{app="metrics-app"\} 110$/m);
  assert.match(om.text, /# EOF\n$/);
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('a worker too busy to answer contributes its last snapshot and counts a collect error; the scrape still succeeds', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '-i', '2', '--metrics-port', '0', '--heartbeat-timeout-ms', '30000', '--metrics-interval-ms', '300'], { env: { PORT: '0', DROVER_HOME } });
  const appPort = await d.ready();
  const port = await metricsPort(d);
  const token = homeToken(DROVER_HOME);
  for (let i = 0; i < 20; i++) await request({ port: appPort, path: '/inc' });
  await scrapeUntil(port, token, (p) => sample(p, 'app_hits_total') === 20, { message: 'app_hits_total 20' });
  // One worker blocks for 4 s: it misses its pushes (late after 2 × 300 ms + 1 s); scrapes go on with its last snapshot.
  const blocked = request({ port: appPort, path: '/block?ms=4000' });
  const page = await waitFor(async () => {
    const p = await scrape(port, token);
    const errors = p.samples.filter((s) => s.name === 'drover_metrics_collect_errors_total').reduce((n, s) => n + s.value, 0);
    return errors >= 1 && p;
  }, { message: 'a collect error for the blocked worker' });
  assert.equal(sample(page, 'app_hits_total'), 20, 'the blocked worker counted with its last snapshot');
  await blocked;
});

test('every endpoint needs the token; Host and Origin must name the server; ?token= sets a strict cookie', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '-i', '1', '--metrics-port', '0'], { env: { PORT: '0', DROVER_HOME } });
  await d.ready();
  const port = await metricsPort(d);
  const token = homeToken(DROVER_HOME);
  for (const p of ['/metrics', '/livez', '/readyz']) {
    const res = await get({ port, path: p });
    assert.equal(res.status, 401, p);
    assert.match(res.headers['content-security-policy'], /default-src 'self'/);
    assert.equal((await get({ port, path: p, headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status, 401);
  }
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await get({ port, path: '/readyz', headers: auth })).status, 200);
  assert.equal((await get({ port, path: '/readyz', headers: { ...auth, host: 'evil.example:80' } })).status, 403, 'DNS rebinding');
  assert.equal((await get({ port, path: '/readyz', headers: { ...auth, origin: 'http://evil.example' } })).status, 403);
  assert.equal((await get({ port, path: '/nothing', headers: auth })).status, 404);

  const withQuery = await get({ port, path: `/livez?token=${token}` });
  assert.equal(withQuery.status, 200);
  const cookie = withQuery.headers['set-cookie'][0];
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.equal((await get({ port, path: '/metrics', headers: { cookie: cookie.split(';')[0] } })).status, 200);
  const verbose = await get({ port, path: '/readyz?verbose', headers: auth });
  assert.match(verbose.body, /^\[\+\]master .*\n\[\+\]workers 1 of 1 worker ready\nok\n$/);
});

test('--health-public: probes answer without the token, /metrics still needs it; /readyz is 503 while draining', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '-i', '2', '--metrics-port', '0', '--health-public', '--kill-timeout-ms', '10000'], {
    env: { PORT: '0', DROVER_HOME, SLOW_SHUTDOWN_MS: '1500' },
  });
  await d.ready();
  const port = await metricsPort(d);
  assert.equal((await get({ port, path: '/livez' })).status, 200);
  assert.equal((await get({ port, path: '/readyz' })).status, 200);
  assert.equal((await get({ port, path: '/metrics' })).status, 401);

  d.signal('SIGTERM');
  const draining = await waitFor(async () => {
    const res = await get({ port, path: '/readyz' });
    return res.status === 503 && res;
  }, { message: '/readyz 503 after SIGTERM' });
  assert.match(draining.body, /^draining/);
  assert.equal((await get({ port, path: '/livez' })).status, 200, 'alive while it drains');
  assert.equal((await d.wait()).code, 0);
});

test('/readyz is 503 when workers are short of --min-ready', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '-i', '2', '--metrics-port', '0', '--health-public', '--restart', 'never', '--min-ready', '2'], { env: { PORT: '0', DROVER_HOME } });
  await d.ready();
  const port = await metricsPort(d);
  assert.equal((await get({ port, path: '/readyz' })).status, 200);
  process.kill(d.liveWorkerPids()[0], 'SIGKILL');
  const res = await waitFor(async () => {
    const r = await get({ port, path: '/readyz' });
    return r.status === 503 && r;
  }, { message: '/readyz 503 with one worker gone' });
  assert.match(res.body, /^short: 1 worker ready, 2 needed/);
});

test('a non-loopback bind without an explicit token is refused at start (exit 105); a short token exits 107', async (t) => {
  const DROVER_HOME = home(t);
  const d = runDrover(t, [APP, '--metrics-port', '0', '--metrics-host', '0.0.0.0'], { env: { PORT: '0', DROVER_HOME } });
  assert.equal((await d.wait()).code, 105);
  assert.match(d.errorLine(), /without an explicit token: pass --metrics-token .*\[DROVER_E_HTTP_UNSAFE_BIND\]$/);
  assert.equal(d.workerPids().length, 0, 'nothing started');
  const e = runDrover(t, [APP, '--metrics-port', '0', '--metrics-token', 'short'], { env: { PORT: '0', DROVER_HOME } });
  assert.equal((await e.wait()).code, 107);
  assert.match(e.errorLine(), /\[DROVER_E_HTTP_TOKEN\]$/);
});
