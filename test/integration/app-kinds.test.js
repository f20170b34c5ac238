// Every kind of app runs (issue 16): processes that are not servers in fork
// mode, the early hint for a cluster-mode app that never listens, and a fork
// mode server that binds its own port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { assertErrorLine, fixture, NODE24, runDrover } from '../helpers/drover.js';
import { typeStripping } from '../../dist/config/typescript.js';
import { findOnPath } from '../../dist/config/command.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { cli, get, makeHome, ok, portOf } from '../helpers/daemon.js';

const CONSUMER = fixture('apps/consumer.js');

test('--exec-mode fork: a process that never listens is ready once it stayed up --min-uptime-ms', async (t) => {
  const d = runDrover(t, ['--exec-mode', 'fork', '-i', '2', '--min-uptime-ms', '300', CONSUMER]);
  await d.ready();
  assert.equal(d.events('ready').length, 2);
  assert.equal(d.events('listening').length, 0);
  for (const ready of d.events('ready')) {
    const online = d.events('online').find((e) => e.wid === ready.wid);
    assert.ok(online && ready.time - online.time >= 250, `ready ${ready.time - (online?.time ?? 0)} ms after online: it waits for the uptime`);
  }
  await waitFor(() => d.records.filter((r) => r.fixture === 'consumer').length >= 2, { message: 'both workers to work' });
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('cluster mode: an app that never listens gets a hint naming --exec-mode fork long before the ready timeout', async (t) => {
  const d = runDrover(t, ['--ready-timeout-ms', '60000', CONSUMER]);
  const hint = await d.waitEvent('warning');
  assert.match(hint.msg, /has not called listen\(\) after 5000 ms.*--exec-mode fork.*--ready-on online/);
  assert.equal(d.events('start-failed').length, 0, 'a hint stops nothing');
  assert.equal(d.exitInfo, undefined);
  d.signal('SIGTERM');
  await d.wait();
  await d.assertNothingLeft();
});

test('--exec-mode fork: a server binds its own port (no listen interception)', async (t) => {
  const d = runDrover(t, ['--exec-mode', 'fork', '--min-uptime-ms', '0', fixture('apps/own-port.js')]);
  await d.ready();
  const report = await waitFor(() => d.records.find((r) => r.fixture === 'own-port'), { message: 'the fixture to report its port' });
  const res = await request({ port: report.port });
  assert.equal(JSON.parse(res.body).pid, report.pid);
  assert.equal(d.events('listening').length, 0, 'the master shares no port in fork mode');
  d.signal('SIGTERM');
  await d.wait();
  await d.assertNothingLeft();
});

test('a PM2 file with a fork-mode consumer, wait_ready + listen_timeout, drover keys and one broken app: the others keep running, the failure is reported', async (t) => {
  const home = makeHome(t);
  const r = await cli(home, ['start', fixture('apps/ecosystem.config.cjs')]);
  assert.notEqual(r.code, 0, 'a failed app fails the command');
  assert.match(r.stdout, /^consumer: 2 workers ready/m);
  assert.match(r.stdout, /^web: 1 worker ready/m);
  assert.match(r.stderr, /listen_timeout: as in PM2, a worker not ready in time is taken as ready/);
  assert.match(r.stderr, /broken: .*\[DROVER_E_WORKER_BOOT\]/);
  assert.match(r.stderr, /1 of 3 apps failed to start \(broken\); the others keep running/);
  assert.doesNotMatch(r.stderr, /not a PM2 key/, 'drover keys are accepted in a PM2 file');
  const list = await ok(home, ['list', '--json'], { json: true });
  // The failed app stays listed as errored (with its reason), the others run.
  assert.deepEqual(list.map((a) => [a.name, a.status, a.mode]).sort(), [
    ['broken', 'errored', '-'],
    ['consumer', 'online', 'fork'],
    ['web', 'online', 'round-robin'],
  ]);
  assert.ok((await get(await portOf(home, 'web'))).pid > 0, 'web serves');
});

test('an app that uses node:cluster itself serves under drover run -i 1: its own workers listen through its primary', async (t) => {
  const d = runDrover(t, ['-i', '1', fixture('apps/cluster-app.js')]);
  const port = await d.ready();
  const reports = await waitFor(() => {
    const r = d.records.filter((x) => x.fixture === 'cluster-app' && x.worker !== undefined);
    return r.length === 2 ? r : undefined;
  }, { message: "the app's 2 cluster workers to listen" });
  for (const r of reports) d.track(r.pid);
  const [primary] = d.workerPids();
  for (const r of reports) {
    assert.equal(r.ppid, primary, "forked by the app's primary, drover's worker");
    assert.deepEqual(r.droverEnv, [], "drover's env is removed in the app's own workers");
  }
  const seen = new Set();
  await waitFor(async () => {
    const res = await request({ port });
    seen.add(JSON.parse(res.body).pid);
    return seen.size === 2;
  }, { message: 'both cluster workers to answer' });
  assert.deepEqual([...seen].sort(), reports.map((r) => r.pid).sort());
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

// On a Node that strips types the server runs (and never exits): the Node 24 test below covers that case.
const stripsTypes = typeStripping() !== 'none';
test('a TypeScript server on Node 20 without tsx fails at once with what to do, not ERR_UNKNOWN_FILE_EXTENSION', { skip: stripsTypes ? 'this Node strips types: the server runs (see the Node 24 test)' : false }, async (t) => {
  const d = runDrover(t, [fixture('apps/server.ts')], { cwd: path.dirname(fixture('apps/server.ts')) });
  const { code } = await d.wait();
  assert.equal(code, 119);
  assertErrorLine(d.stderr, { code: 'DROVER_E_TYPESCRIPT', message: /npm install -D tsx/ });
  assert.doesNotMatch(d.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  assert.equal(d.events('fork').length, 0, 'no worker was started');
});

test('a TypeScript server on Node 24 (type stripping) serves with shared ports', { skip: existsSync(NODE24) ? false : `Node 24 not found at ${NODE24} (.ci/run installs it)` }, async (t) => {
  const d = runDrover(t, ['-i', '2', fixture('apps/server.ts')], { node: NODE24 });
  const port = await d.ready();
  const body = JSON.parse((await request({ port })).body);
  assert.equal(body.ts, true);
  assert.equal(d.events('listening').length, 2, 'both workers listen through the master');
  d.signal('SIGTERM');
  await d.wait();
  await d.assertNothingLeft();
});

test('--interpreter bun for a .js app in cluster mode is refused before anything starts', async (t) => {
  const d = runDrover(t, ['--interpreter', 'bun', '-i', '2', fixture('apps/own-port.js')]);
  assert.equal((await d.wait()).code, 120);
  assertErrorLine(d.stderr, { code: 'DROVER_E_INTERPRETER_NO_SHARING', message: /--exec-mode fork/ });
});

test('UDP: 2 workers that bind one UDP port share it (the master binds, the kernel spreads datagrams) and both answer', async (t) => {
  const d = runDrover(t, ['-i', '2', fixture('apps/udp-echo.js')]);
  await d.ready();
  const reports = await waitFor(() => {
    const r = d.records.filter((x) => x.fixture === 'udp-echo');
    return r.length === 2 ? r : undefined;
  }, { message: 'both workers to bind' });
  assert.equal(reports[0].port, reports[1].port, 'bind(0) gives every worker the same port, as in Node cluster');
  assert.ok(d.events('listening').every((e) => e.address === `udp 127.0.0.1:${reports[0].port}`));
  const client = dgram.createSocket('udp4');
  t.after(() => client.close());
  const answered = new Set();
  client.on('message', (msg) => answered.add(JSON.parse(msg.toString()).pid));
  // Datagrams can be dropped: keep sending until both workers answered (bounded by the deadline).
  await waitFor(() => {
    for (let i = 0; i < 20; i++) client.send('ping', reports[0].port, '127.0.0.1');
    return answered.size === 2;
  }, { intervalMs: 50, message: 'both workers to answer datagrams' });
  assert.deepEqual([...answered].sort(), reports.map((r) => r.pid).sort());
  d.signal('SIGTERM');
  assert.equal((await d.wait()).code, 0);
  await d.assertNothingLeft();
});

test('drover run npm -- start: a command on PATH runs as an executable with its args, named after it', { skip: findOnPath('npm') ? false : 'npm is not on PATH' }, async (t) => {
  const d = runDrover(t, ['npm', '--', 'start'], { cwd: fixture('apps/npm-app') });
  await d.ready();
  const report = await waitFor(() => d.records.find((r) => r.fixture === 'own-port'), { message: 'the npm start script to serve' });
  d.track(report.pid);
  assert.equal(JSON.parse((await request({ port: report.port })).body).pid, report.pid);
  assert.match(d.stderr, /^drover: npm: 1 worker/m);
  d.signal('SIGTERM');
  await d.wait();
  await d.assertNothingLeft();
});

test('drover start of a script whose name has a space, without --name: the app is named my-server', async (t) => {
  const home = makeHome(t);
  const r = await cli(home, ['start', fixture('apps/my server.js')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^my-server: 1 worker/m);
  const list = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(list.map((a) => [a.name, a.status]), [['my-server', 'online']]);
});
