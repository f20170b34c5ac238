// drover start / list / describe / stop / delete / ping / kill through the
// daemon, from a script, a drover config and a PM2 ecosystem file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, daemonFixture, daemonPid, describe, get, isAlive, makeHome, ok, portOf, processesOf, waitFor } from '../helpers/daemon.js';

test('start from a script: list and describe (text and --json), requests served, stop, delete, kill', async (t) => {
  const home = makeHome(t);
  const started = await cli(home, ['start', APP, '--name', 'web', '-i', '2', '--env', 'EXTRA=from-flag', '--env', 'STRIPE_API_KEY=sk_live_1', '--', '--some-arg'], {
    env: { PORT: '0', API_TOKEN: 's3cret' },
  });
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /^web: 2 workers ready in \d+ ms, listening on .*:\d+ \(master pid \d+\)$/m);

  // DROVER_HOME: 0700 directories, 0600 sockets.
  assert.equal(statSync(home).mode & 0o777, 0o700);
  assert.equal(statSync(path.join(home, 'daemon.sock')).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(home, 'apps', 'web.sock')).mode & 0o777, 0o600);

  const list = await ok(home, ['list', '--json'], { json: true });
  assert.equal(list.length, 1);
  assert.equal(list[0].name, 'web');
  assert.equal(list[0].status, 'online');
  assert.equal(list[0].ready, 2);
  assert.equal(list[0].desired, 2);
  assert.equal(list[0].mode, 'round-robin');
  assert.ok(list[0].memory > 0, 'memory from /proc');
  assert.equal(typeof list[0].cpu, 'number');

  const text = await ok(home, ['ls']);
  const [header, row] = text.trim().split('\n');
  assert.match(header, /^name\s+mode\s+workers\s+restarts\s+uptime\s+cpu\s+memory\s+status$/);
  assert.match(row, /^web\s+round-robin\s+2\/2\s+0\s+\d+s\s+[\d.]+%\s+[\d.]+ [KMG]?B\s+online$/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colours when stdout is not a TTY');

  const d = await describe(home, 'web');
  assert.equal(d.workers.length, 2);
  assert.ok(d.workers.every((w) => w.phase === 'ready' && typeof w.pid === 'number' && w.memory > 0));
  assert.equal(d.env.EXTRA, 'from-flag');
  // Secrets are redacted in describe (text and JSON).
  assert.equal(d.env.STRIPE_API_KEY, '[redacted]');
  assert.doesNotMatch(JSON.stringify(d), /sk_live_1|s3cret/);
  assert.deepEqual(d.args, ['--some-arg']);
  assert.equal(d.script, APP);
  assert.equal(d.source.kind, 'script');
  const port = d.ports[0];
  const body = await get(port);
  assert.equal(body.extra, 'from-flag');
  // The environment of `drover start` reaches the workers (PORT=0 did too).
  assert.equal(body.token, 's3cret');
  const pids = new Set(d.workers.map((w) => w.pid));
  assert.ok(pids.has(body.pid));

  const describeText = await ok(home, ['describe', 'web']);
  assert.match(describeText, /^web {2}online$/m);
  assert.match(describeText, /listening {2}.*:\d+/);
  assert.match(describeText, /workers\n\s+slot\s+pid/);
  assert.match(describeText, /STRIPE_API_KEY=\[redacted\]/);
  assert.doesNotMatch(describeText, /sk_live_1/);

  // stop keeps it in the list; its processes are gone.
  const masterPid = d.master.pid;
  await ok(home, ['stop', 'web']);
  const stopped = await ok(home, ['list', '--json'], { json: true });
  assert.equal(stopped[0].status, 'stopped');
  await waitFor(() => !isAlive(masterPid) && [...pids].every((p) => !isAlive(p)), { timeoutMs: 10_000, message: 'master and workers to exit after stop' });
  assert.ok(!existsSync(path.join(home, 'apps', 'web.sock')));

  // restart brings it back with a new master; so does `start <name>` of a stopped app.
  const restarted = await cli(home, ['restart', 'web']);
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal((await describe(home, 'web')).ready, 2);
  await ok(home, ['stop', 'all']);
  assert.match(await ok(home, ['start', 'web']), /^web: restarted, 2 workers ready/m);

  await ok(home, ['delete', 'web']);
  assert.deepEqual(await ok(home, ['list', '--json'], { json: true }), []);
  assert.match(await ok(home, ['list']), /no apps running/);

  const daemon = daemonPid(home);
  assert.ok(isAlive(daemon));
  assert.match(await ok(home, ['kill']), /daemon pid \d+ exited/);
  await waitFor(() => processesOf(home).length === 0, { timeoutMs: 10_000, message: 'every process to end after kill' });
  assert.ok(!existsSync(path.join(home, 'daemon.pid')), 'a clean exit removes the pid file');
});

test("list counts the agent's CPU and memory with the workers'", async (t) => {
  const home = makeHome(t);
  const started = await cli(home, ['start', APP, '--name', 'withagent', '-i', '1', '--agent', path.join(path.dirname(APP), 'fat-agent.js'), '--agent-ready-on', 'online'], { env: { PORT: '0' } });
  assert.equal(started.code, 0, started.stderr);
  let d;
  await waitFor(async () => (d = await describe(home, 'withagent')).agent?.memory > 80 * 1024 * 1024, { message: 'the agent to hold its 80 MB' });
  const [row] = await ok(home, ['list', '--json'], { json: true });
  const workers = d.workers.reduce((sum, w) => sum + w.memory, 0);
  // The agent holds 80 MB more than a worker; RSS of idle processes moves by a few MB between two samples.
  assert.ok(row.memory - workers > 70 * 1024 * 1024, `list memory ${row.memory} should include the agent's ${d.agent.memory} beside the workers' ${workers}`);
});

test('start from a drover config with --env production; stop by config file', async (t) => {
  const home = makeHome(t);
  const r = await cli(home, ['start', daemonFixture('drover.config.json'), '--env', 'production']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cfg-web: 2 workers ready/m);
  assert.match(r.stdout, /^cfg-api: 1 worker ready/m);

  const list = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(list.map((a) => [a.name, a.ready, a.status]).sort(), [
    ['cfg-api', 1, 'online'],
    ['cfg-web', 2, 'online'],
  ]);
  assert.equal((await get(await portOf(home, 'cfg-web'))).mode, 'production');
  assert.equal((await get(await portOf(home, 'cfg-api'))).mode, 'api');
  const d = await describe(home, 'cfg-web');
  assert.equal(d.source.kind, 'config');
  assert.equal(d.source.envName, 'production');
  assert.equal(d.cwd, path.dirname(daemonFixture('drover.config.json')));

  // A config file as a target means its apps.
  await ok(home, ['stop', daemonFixture('drover.config.json')]);
  const after = await ok(home, ['list', '--json'], { json: true });
  assert.ok(after.every((a) => a.status === 'stopped'), JSON.stringify(after));
});

test('start from a PM2 ecosystem file: mapped options, env_production, a warning for unsupported keys', async (t) => {
  const home = makeHome(t);
  const r = await cli(home, ['start', daemonFixture('ecosystem.config.cjs'), '--env', 'production']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*pmx/);
  const d = await describe(home, 'pm2-web');
  assert.equal(d.desired, 2);
  assert.equal(d.ready, 2);
  assert.equal(d.options.killTimeoutMs, 3000);
  assert.equal((await get(d.ports[0])).mode, 'pm2-production');
});

test('--help, --version and a typo do not start the daemon; ping does', async (t) => {
  const home = makeHome(t);
  for (const args of [['--help'], ['--version'], ['start', '--help'], ['lsit']]) {
    await cli(home, args);
    assert.equal(daemonPid(home), undefined, `drover ${args.join(' ')} started a daemon`);
    assert.deepEqual(processesOf(home), []);
  }
  const typo = await cli(home, ['lsit']);
  assert.equal(typo.code, 64);
  const pong = await ok(home, ['ping', '--json'], { json: true });
  assert.equal(pong.pid, daemonPid(home));
  assert.equal(pong.apps, 0);
  // A second ping reaches the same daemon.
  assert.equal((await ok(home, ['ping', '--json'], { json: true })).pid, pong.pid);
});

test('logs of an app: --lines, stdout and stderr merged, --json', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'chatty'], { env: { PORT: '0' } });
  const port = await portOf(home, 'chatty');
  await get(port, '/log?n=30&tag=hello');
  await get(port, '/err?tag=boom');
  await waitFor(async () => (await ok(home, ['logs', 'chatty', '--lines', '100'])).includes('boom on stderr'), { message: 'the lines to reach the log' });

  const last5 = (await ok(home, ['logs', 'chatty', '--lines', '5'])).trim().split('\n');
  assert.equal(last5.length, 5);
  // Timestamped and prefixed with the worker id, in order; the stderr line is last.
  assert.match(last5[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z 0\|hello 2[6-9] x+$/);
  assert.match(last5[4], /0\|boom on stderr$/);

  const json = (await ok(home, ['logs', 'chatty', '--lines', '3', '--json']))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(json.length, 3);
  assert.deepEqual(
    json.map((j) => [j.app, j.stream]),
    [
      ['chatty', 'out'],
      ['chatty', 'out'],
      ['chatty', 'err'],
    ],
  );
  // Lifecycle lines from drover itself are in the log too.
  assert.match(await ok(home, ['logs', 'chatty', '--lines', '200']), /drover\|worker 0 \(pid \d+\) listening on/);
});
