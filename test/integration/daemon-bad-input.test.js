// Bad input to the daemon commands: each one a clear error with its own exit
// status, and nothing started or stopped by a rejected command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { APP, cli, daemonFixture, daemonPid, describe, fails, makeHome, ok, processesOf } from '../helpers/daemon.js';
import { fixture } from '../helpers/drover.js';

test('malformed config files: exit 78 before anything starts, and a running app is left alone', async (t) => {
  const home = makeHome(t);
  const cases = [
    ['bad-syntax.json', /syntax error in .*bad-syntax\.json:\d+:\d+/],
    ['bad-unknown-key.json', /apps\[0\]\.intances: unknown key \(did you mean "instances"\?\)/],
    ['bad-instances.json', /apps\[0\]\.instances: .*-99/],
    ['bad-no-script.json', /apps\[0\]\.script: is required/],
  ];
  // No daemon yet: a rejected config does not even start one.
  for (const [file, message] of cases) await fails(home, ['start', daemonFixture(file)], { code: 'DROVER_E_CONFIG', exitCode: 78, message });
  assert.equal(daemonPid(home), undefined);
  assert.deepEqual(processesOf(home), []);

  await ok(home, ['start', APP, '--name', 'bystander'], { env: { PORT: '0' } });
  const before = await describe(home, 'bystander');
  for (const [file] of cases) {
    await fails(home, ['start', daemonFixture(file)], { code: 'DROVER_E_CONFIG', exitCode: 78 });
    await fails(home, ['stop', daemonFixture(file)], { code: 'DROVER_E_CONFIG', exitCode: 78 });
  }
  // A valid config whose second app has no script: the first one is not started either.
  await fails(home, ['start', daemonFixture('bad-second-script-missing.json')], { code: 'DROVER_E_SCRIPT_NOT_FOUND', exitCode: 66, message: /does-not-exist\.js does not exist/ });
  const list = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(list.map((a) => a.name), ['bystander']);
  const after = await describe(home, 'bystander');
  assert.equal(after.master.pid, before.master.pid);
  assert.deepEqual(after.workers.map((w) => w.pid), before.workers.map((w) => w.pid));
});

test('unknown app names: exit 80 with a suggestion, and no other app is touched', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'billing'], { env: { PORT: '0' } });
  const before = await describe(home, 'billing');
  await fails(home, ['stop', 'biling'], { code: 'DROVER_E_APP_NOT_FOUND', exitCode: 80, message: /no app named "biling" \(did you mean "billing"\?\)/ });
  // All names are checked first: billing is not stopped because "ghost" does not exist.
  await fails(home, ['stop', 'billing', 'ghost'], { code: 'DROVER_E_APP_NOT_FOUND', exitCode: 80, message: /"ghost"/ });
  for (const args of [['describe', 'ghost'], ['reload', 'ghost'], ['restart', 'ghost'], ['delete', 'ghost'], ['scale', 'ghost', '2'], ['signal', 'SIGUSR2', 'ghost'], ['logs', 'ghost']]) {
    await fails(home, args, { code: 'DROVER_E_APP_NOT_FOUND', exitCode: 80 });
  }
  const after = await describe(home, 'billing');
  assert.equal(after.status, 'online');
  assert.deepEqual(after.workers.map((w) => w.pid), before.workers.map((w) => w.pid));
});

test('a daemon that cannot be started: exit 79 naming its log', async (t) => {
  const home = makeHome(t);
  // Something that is not a socket sits where the daemon's socket goes.
  mkdirSync(path.join(home, 'daemon.sock'));
  await fails(home, ['list'], { code: 'DROVER_E_DAEMON_UNREACHABLE', exitCode: 79, message: /daemon could not be started.*daemon\.log/ });
  await fails(home, ['start', APP], { code: 'DROVER_E_DAEMON_UNREACHABLE', exitCode: 79, env: { PORT: '0' } });
  assert.deepEqual(processesOf(home), [], 'nothing started');
});

test('DROVER_HOME that cannot be created: exit 81', async (t) => {
  const home = makeHome(t);
  const file = path.join(home, 'a-file');
  writeFileSync(file, '');
  const r = await cli(path.join(file, 'home'), ['ping']);
  assert.equal(r.code, 81, r.stderr);
  assert.match(r.stderr, /^drover: DROVER_HOME .*a-file\/home is not usable: .*set DROVER_HOME to a writable directory \[DROVER_E_HOME_NOT_WRITABLE\]$/m);
});

test('start errors: app exists (82), script missing (66), bad values (65, 64), worker boot failure (70), no dump (84)', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'solo'], { env: { PORT: '0' } });
  const before = await describe(home, 'solo');
  await fails(home, ['start', APP, '--name', 'solo'], { code: 'DROVER_E_APP_EXISTS', exitCode: 82, message: /solo is already running/, env: { PORT: '0' } });
  assert.equal((await describe(home, 'solo')).master.pid, before.master.pid);

  await fails(home, ['start', 'no-such-app.js'], { code: 'DROVER_E_SCRIPT_NOT_FOUND', exitCode: 66 });
  await fails(home, ['start', APP, '-i', 'abc'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /--instances expects a worker count/ });
  await fails(home, ['start', APP, '--name', 'bad name'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /app name "bad name" is not usable/ });
  await fails(home, ['start', APP, '--bogus'], { code: 'DROVER_E_USAGE', exitCode: 64, message: /--bogus.*drover start --help/ });
  await fails(home, ['scale', 'solo', 'lots'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65 });
  await fails(home, ['signal', 'SIGNOPE', 'solo'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, message: /unknown signal/ });

  // The master validates too: a value the CLI cannot check (reuseport on an old Node, a bad cron...).
  await fails(home, ['start', APP, '--name', 'cronned', '--cron-restart', 'not a cron'], { code: 'DROVER_E_INVALID_OPTION', exitCode: 65, env: { PORT: '0' } });

  // Workers that die during the first start: the start fails; the failed apps stay listed as errored, with the reason.
  await fails(home, ['start', fixture('crash-on-boot.js'), '--name', 'doomed'], { code: 'DROVER_E_WORKER_BOOT', exitCode: 70 });
  const rows = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(rows.map((a) => [a.name, a.status, a.lastError?.code]), [
    ['solo', 'online', undefined],
    ['cronned', 'errored', 'DROVER_E_INVALID_OPTION'],
    ['doomed', 'errored', 'DROVER_E_WORKER_BOOT'],
  ]);

  await fails(home, ['resurrect'], { code: 'DROVER_E_NO_DUMP', exitCode: 84, message: /drover save/ });
});
