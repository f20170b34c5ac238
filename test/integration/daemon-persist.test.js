// The daemon's state: save / resurrect, adoption of running app masters by a
// new daemon, restarts of a master that dies, restore after a daemon crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, daemonPid, describe, get, isAlive, makeHome, ok, portOf, processesOf, waitFor } from '../helpers/daemon.js';

test('save → kill → resurrect restores the same apps; secrets are not written to the dump', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'one', '-i', '2', '--env', 'DB_PASSWORD=hunter2', '--env', 'APP_MODE=saved'], { env: { PORT: '0', API_TOKEN: 'tok-123' } });
  await ok(home, ['start', APP, '--name', 'two'], { env: { PORT: '0' } });
  const before = await ok(home, ['list', '--json'], { json: true });

  const saved = await ok(home, ['save']);
  assert.match(saved, /saved 2 apps to .*dump\.json: one, two/);
  assert.match(saved, /secret env values not saved .*one:DB_PASSWORD/);
  const dumpFile = path.join(home, 'dump.json');
  assert.equal(statSync(dumpFile).mode & 0o777, 0o600);
  const dumpText = readFileSync(dumpFile, 'utf8');
  assert.doesNotMatch(dumpText, /hunter2/);
  assert.doesNotMatch(dumpText, /tok-123/);
  assert.match(dumpText, /"APP_MODE": "saved"/);

  await ok(home, ['kill']);
  await waitFor(() => processesOf(home).length === 0, { timeoutMs: 10_000, message: 'everything to stop after kill' });

  // Secrets come from the environment of resurrect; a missing one is reported.
  const r = await cli(home, ['resurrect'], { env: { API_TOKEN: 'tok-456' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: one: secret env DB_PASSWORD not saved and not set/);
  const after = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(
    after.map((a) => [a.name, a.desired, a.ready, a.status]),
    before.map((a) => [a.name, a.desired, a.ready, 'online']),
  );
  const body = await get(await portOf(home, 'one'));
  assert.equal(body.mode, 'saved');
  assert.equal(body.token, 'tok-456');

  // Resurrect again: nothing to do, both already run.
  assert.match(await ok(home, ['resurrect']), /one: already running\ntwo: already running/);
});

test('daemon SIGKILL: apps keep serving, a new daemon adopts them, commands work again', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'steady', '-i', '2'], { env: { PORT: '0' } });
  const d1 = await describe(home, 'steady');
  const port = d1.ports[0];
  const oldDaemon = daemonPid(home);
  process.kill(oldDaemon, 'SIGKILL');
  await waitFor(() => !isAlive(oldDaemon), { message: 'the daemon to die' });

  // No daemon: the app still serves, with the same workers.
  const workerPids = new Set(d1.workers.map((w) => w.pid));
  for (let i = 0; i < 5; i++) assert.ok(workerPids.has((await get(port)).pid));
  assert.ok(isAlive(d1.master.pid));

  // The next command starts a new daemon, which adopts the running master.
  const d2 = await describe(home, 'steady');
  assert.notEqual(daemonPid(home), oldDaemon);
  assert.equal(d2.master.pid, d1.master.pid);
  assert.deepEqual(
    d2.workers.map((w) => w.pid),
    d1.workers.map((w) => w.pid),
  );
  assert.equal(d2.status, 'online');
  assert.match(readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8'), /adopted steady \(master pid \d+, 2 workers\)/);

  // The adopted app is fully managed: reload and stop go through.
  const reload = await cli(home, ['reload', 'steady']);
  assert.equal(reload.code, 0, reload.stderr);
  await get(port);
  await ok(home, ['stop', 'steady']);
  await waitFor(() => !isAlive(d1.master.pid), { message: 'the adopted master to stop' });
});

test('an app master that dies is restarted by the daemon; a stopped one is not', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'phoenix'], { env: { PORT: '0' } });
  const d1 = await describe(home, 'phoenix');
  process.kill(d1.master.pid, 'SIGKILL');

  const d2 = await waitFor(
    async () => {
      const d = await describe(home, 'phoenix');
      return d.status === 'online' && d.master.pid !== d1.master.pid && d.ready === 1 ? d : undefined;
    },
    { timeoutMs: 20_000, message: 'the master to be restarted' },
  );
  assert.equal(d2.masterRestarts, 1);
  // Its old workers went with it (no orphans).
  await waitFor(() => d1.workers.every((w) => !isAlive(w.pid)), { message: 'the old workers to exit' });
  await get(d2.ports[0]);

  await ok(home, ['stop', 'phoenix']);
  await waitFor(() => !isAlive(d2.master.pid), { message: 'the master to stop' });
  const list = await ok(home, ['list', '--json'], { json: true });
  assert.equal(list[0].status, 'stopped');
});

test('a daemon that crashed is replaced by one that restores the saved apps not running', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'kept'], { env: { PORT: '0' } });
  await ok(home, ['start', APP, '--name', 'lost'], { env: { PORT: '0' } });
  await ok(home, ['save']);
  const lost = await describe(home, 'lost');
  const kept = await describe(home, 'kept');

  // The daemon and one app master die together (a crash of the machine's OOM killer, say).
  process.kill(daemonPid(home), 'SIGKILL');
  process.kill(lost.master.pid, 'SIGKILL');
  await waitFor(() => !isAlive(lost.master.pid) && lost.workers.every((w) => !isAlive(w.pid)), { message: 'lost to die' });

  const list = await waitFor(
    async () => {
      const l = await ok(home, ['list', '--json'], { json: true });
      return l.length === 2 && l.every((a) => a.status === 'online' && a.ready === 1) ? l : undefined;
    },
    { timeoutMs: 20_000, message: 'both apps to be online again' },
  );
  const byName = Object.fromEntries(list.map((a) => [a.name, a]));
  assert.equal(byName.kept.masterPid, kept.master.pid, 'the running master is adopted, not replaced');
  assert.notEqual(byName.lost.masterPid, lost.master.pid, 'the dead one is restored from the dump');
  assert.match(readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8'), /did not exit cleanly: restoring the saved app list/);
});
