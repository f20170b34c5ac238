// A pid drover did not prove its own is never "a daemon" nor killed (issue 15):
// a stale daemon.pid naming another user's process, or a process of ours that
// is no daemon, does not lock drover out; a pid a client names as its
// pre-started master is not SIGKILLed unless it is a drover app master.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, daemonPid, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { asOther, noOtherUser } from '../helpers/harden.js';
import { ControlClient } from '../../dist/control/client.js';

function sleeper(t, wrap = []) {
  const argv = [...wrap, 'sleep', '300'];
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

const alive = (child) => child.exitCode === null && child.signalCode === null;

test('a stale daemon.pid naming another user\'s process does not lock drover out', { skip: noOtherUser }, async (t) => {
  const home = makeHome(t);
  const stranger = sleeper(t, asOther);
  await waitFor(() => {
    try {
      return /^Uid:\s+65534/m.test(readFileSync(`/proc/${stranger.pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  }, { message: 'the other user\'s process' });
  writeFileSync(path.join(home, 'daemon.pid'), `${stranger.pid}\n`, { mode: 0o600 });
  const r = await cli(home, ['ping'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `locked out by another user's pid (EPERM read as alive): ${r.stderr}`);
  const pid = daemonPid(home);
  assert.notEqual(pid, stranger.pid);
  assert.match(readFileSync(path.join(home, 'daemon.pid'), 'utf8'), new RegExp(`^${pid} \\d+\\n$`), 'the pid file records the start time');
  assert.ok(alive(stranger), 'the stranger was left alone');
});

test('a stale daemon.pid naming a live process of ours that is no daemon is replaced', async (t) => {
  const home = makeHome(t);
  const mine = sleeper(t);
  writeFileSync(path.join(home, 'daemon.pid'), `${mine.pid}\n`, { mode: 0o600 });
  await ok(home, ['ping'], { timeoutMs: 20_000 });
  assert.notEqual(daemonPid(home), mine.pid);
  assert.ok(alive(mine));
});

test('the daemon does not SIGKILL a pid a client names as its pre-started master when it is no drover master', async (t) => {
  const home = makeHome(t);
  await ok(home, ['ping']);
  const victim = sleeper(t);
  const client = await ControlClient.connect(path.join(home, 'daemon.sock'), { timeoutMs: 5000 });
  t.after(() => client.destroy());
  const record = { name: 'named', options: { script: APP, cwd: path.dirname(APP) }, env: { PATH: process.env.PATH, PORT: '0' }, source: { kind: 'script' }, createdAt: Date.now() };
  const results = await client.call('start', { records: [record], prespawned: { named: victim.pid } }, { timeoutMs: 30_000 });
  assert.equal(results.length, 1);
  assert.equal(results[0].ok, false, JSON.stringify(results));
  assert.equal(results[0].error.code, 'DROVER_E_PROTOCOL', JSON.stringify(results[0]));
  assert.match(results[0].error.message, new RegExp(`pid ${victim.pid}, named as its pre-started master, is not a drover app master of yours`));
  assert.ok(alive(victim), 'the named process was killed');
  const list = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(list, [], 'a refused start leaves no app');
});
