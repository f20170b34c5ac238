// The daemon's HTTP endpoint (DROVER_HTTP_PORT): /metrics, /readyz for all its
// apps on one page, each series labelled with its app; drover dashboard
// prints the URL with the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, cli, makeHome, ok, portOf, request, waitFor } from '../helpers/daemon.js';
import { fixture } from '../helpers/drover.js';
import { get, homeToken, scrape, scrapeUntil } from '../helpers/metrics.js';
import { sample } from '../helpers/prom-text.js';

const APP = fixture('metrics-app.js');

test('the daemon serves /metrics and /readyz for all apps; drover dashboard prints the URL with the token', async (t) => {
  const home = makeHome(t);
  const env = { PORT: '0', DROVER_HTTP_PORT: '0', LOG_AT_START: 'connecting: DB_PASSWORD=hunter2 url=postgres://bob:s3cret-pw@db/x' };
  for (const [name, n] of [['web', '2'], ['api', '1']]) {
    const started = await cli(home, ['start', APP, '--name', name, '-i', n], { env });
    assert.equal(started.code, 0, started.stderr);
  }
  const info = await waitFor(() => JSON.parse(readFileSync(path.join(home, 'http.json'), 'utf8')), { message: 'DROVER_HOME/http.json' });
  const port = info.port;
  const token = homeToken(home);

  assert.equal((await get({ port, path: '/metrics' })).status, 401);
  const webPort = await portOf(home, 'web');
  for (let i = 0; i < 30; i++) await request({ port: webPort, path: '/inc' });

  const page = await scrapeUntil(port, token, (p) => sample(p, 'app_hits_total', { app: 'web' }) === 30, { message: "web's app_hits_total 30" });
  assert.equal(sample(page, 'drover_workers', { app: 'web', state: 'ready' }), 2);
  assert.equal(sample(page, 'drover_workers', { app: 'api', state: 'ready' }), 1);
  assert.equal(sample(page, 'app_hits_total', { app: 'web' }), 30);
  assert.equal(sample(page, 'app_hits_total', { app: 'api' }), 0);
  assert.ok(sample(page, 'drover_daemon_process_resident_memory_bytes') > 0, "the daemon's own process metrics");
  assert.ok(sample(page, 'drover_master_process_resident_memory_bytes', { app: 'web' }) > 0, "each master's own");
  assert.equal(sample(page, 'drover_log_lines_dropped_total', { app: 'web' }), 0, 'the app log writer under the daemon');

  const ready = await get({ port, path: '/readyz?verbose', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ready.status, 200, ready.body);
  assert.match(ready.body, /web: 2 of 2 workers ready/);

  // The dashboard's API over the daemon: the apps from their masters, actions through the daemon's control socket.
  const auth = { authorization: `Bearer ${token}` };
  const apps = JSON.parse((await get({ port, path: '/api/apps', headers: auth })).body).apps;
  assert.deepEqual(apps.map((a) => [a.name, a.workers.length]), [['api', 1], ['web', 2]]);
  const scaled = await get({ port, method: 'POST', path: '/api/apps/web/scale', headers: { ...auth, 'content-type': 'application/json' }, body: '{"instances":3}' });
  assert.equal(scaled.status, 200, scaled.body);
  await waitFor(async () => {
    const a = JSON.parse((await get({ port, path: '/api/apps', headers: auth })).body).apps.find((x) => x.name === 'web');
    return a.desired === 3 && a.workers.filter((w) => w.phase === 'ready').length === 3;
  }, { message: 'web scaled to 3 through the dashboard API' });
  const unknown = await get({ port, method: 'POST', path: '/api/apps/nope/reload', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(unknown.status, 404, unknown.body);
  // The log tail is redacted like every other response.
  const logs = await waitFor(async () => {
    const l = JSON.parse((await get({ port, path: '/api/logs/web?lines=50', headers: auth })).body);
    return l.lines?.some((x) => x.includes('connecting:')) && l;
  }, { message: "the app's line in the log tail" });
  const line = logs.lines.find((x) => x.includes('connecting:'));
  assert.match(line, /DB_PASSWORD=\[redacted\] url=postgres:\/\/bob:\[redacted\]@db\/x/);
  assert.ok(!JSON.stringify(logs).includes('hunter2') && !JSON.stringify(logs).includes('s3cret-pw'), line);

  await ok(home, ['stop', 'api']);
  const short = await waitFor(async () => {
    const r = await get({ port, path: '/metrics', headers: { authorization: `Bearer ${token}` } });
    return !r.body.includes('app="api"') && r;
  }, { message: 'the stopped app to leave the page' });
  assert.match(short.body, /app="web"/);

  // A stopped app stays on the dashboard, with the actions the daemon allows on it: start, delete.
  const post = (p) => get({ port, method: 'POST', path: p, headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  const apiView = async () => JSON.parse((await get({ port, path: '/api/apps', headers: auth })).body).apps.find((x) => x.name === 'api');
  const stopped = await waitFor(async () => (await apiView())?.phase === 'stopped' && apiView(), { message: 'api listed as stopped' });
  assert.deepEqual(stopped.workers, []);
  const startedAgain = await post('/api/apps/api/start');
  assert.equal(startedAgain.status, 200, startedAgain.body);
  await waitFor(async () => (await apiView())?.workers.filter((w) => w.phase === 'ready').length === 1, { message: 'api started again from the dashboard' });
  const deleted = await post('/api/apps/api/delete');
  assert.equal(deleted.status, 200, deleted.body);
  await waitFor(async () => (await apiView()) === undefined, { message: 'api deleted from the dashboard' });

  const dash = await cli(home, ['dashboard'], { env: { DROVER_HTTP_PORT: '' } });
  assert.equal(dash.code, 0, dash.stderr);
  assert.equal(dash.stdout.trim(), `http://127.0.0.1:${port}/?token=${token}`);
});

test('drover dashboard serves in the foreground when the daemon has no HTTP endpoint, until SIGINT', async (t) => {
  const home = makeHome(t);
  const started = await cli(home, ['start', APP, '--name', 'web', '-i', '1'], { env: { PORT: '0' } });
  assert.equal(started.code, 0, started.stderr);
  const child = spawn(process.execPath, [CLI, 'dashboard'], { env: { ...process.env, DROVER_HOME: home, DROVER_HTTP_PORT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const url = new URL(await waitFor(() => /^(http:\S+)\n/.exec(out)?.[1], { message: 'the dashboard URL' }));
  const token = url.searchParams.get('token');
  assert.equal(token, homeToken(home));
  // The master was started without DROVER_HTTP_PORT: its metrics load on this first scrape.
  const page = await scrape(Number(url.port), token);
  assert.equal(sample(page, 'drover_workers', { app: 'web', state: 'ready' }), 1);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});
