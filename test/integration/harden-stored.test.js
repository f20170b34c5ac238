// What drover stores (issue 15): the daemon and a waiting (spare) master do
// not carry the environment of the CLI call that started them; dump.json keeps
// the declared env and an allow-list of the caller's variables, never a
// secret value; app log files are 0600 unless --log-file-mode says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { APP, daemonPid, describe, get, makeHome, ok, portOf, processesOf, waitFor } from '../helpers/daemon.js';

const environ = (pid) => readFileSync(`/proc/${pid}/environ`, 'latin1');
const cmdline = (pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1');

test('a start with secrets in the environment leaves them in the workers only, not in the daemon or a spare master', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const home = makeHome(t);
  // DROVER_SPARE_MASTER=1: the daemon keeps a spare master (off by default, issue 17). Its opt-in pre-booted
  // worker is kept out (DROVER_PREBOOT_WORKER=0): that process shows its start-up environment in /proc, not the
  // app's (runtime/preboot.ts), and this test reads the app's variables there.
  const env = { PORT: '0', API_TOKEN: 'tok-sekrit-771', SOME_TOOL_VAR: 'tool-value-42', DROVER_SPARE_MASTER: '1', DROVER_PREBOOT_WORKER: '0' };
  await ok(home, ['start', APP, '--name', 'first'], { env }); // cold: the CLI starts the daemon and this master
  await ok(home, ['start', APP, '--name', 'second'], { env: { ...env, API_TOKEN: 'tok-sekrit-772' } }); // warm: the daemon's spare
  const first = await describe(home, 'first');
  const second = await describe(home, 'second');
  assert.equal((await get(await portOf(home, 'first'))).token, 'tok-sekrit-771', 'the workers get the caller env');
  assert.ok(environ(first.workers[0].pid).includes('API_TOKEN=tok-sekrit-771'));
  // The spare the daemon keeps after the second start.
  const masters = new Set([first.master.pid, second.master.pid]);
  const spare = await waitFor(() => processesOf(home).find((p) => !masters.has(p) && cmdline(p).includes('app-master.js')), { message: 'a spare master' });
  for (const [what, pid] of [['daemon', daemonPid(home)], ['master of first (started by the CLI)', first.master.pid], ['master of second (the spare)', second.master.pid], ['the new spare', spare]]) {
    const text = environ(pid);
    assert.doesNotMatch(text, /tok-sekrit|tool-value-42/, `${what} (pid ${pid}) holds the caller's environment`);
    assert.match(text, new RegExp(`DROVER_HOME=${home}\0`));
  }
});

test('dump.json keeps the declared env and the allow-list, no secret value and no other caller variable', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'kept', '--env', 'GREETING=hello', '--env', 'DB_PASSWORD=pw-declared-1', '--env', 'BILLING_SK=sk-declared-2'], {
    env: { PORT: '0', API_TOKEN: 'tok-caller-3', STRIPE_SK: 'sk_live_caller_4', SOME_TOOL_VAR: 'tool-value-5', LANG: 'C.UTF-8' },
  });
  const saved = await ok(home, ['save']);
  assert.match(saved, /kept:DB_PASSWORD/);
  const dump = JSON.parse(readFileSync(path.join(home, 'dump.json'), 'utf8'));
  const text = JSON.stringify(dump);
  for (const value of ['pw-declared-1', 'sk-declared-2', 'tok-caller-3', 'sk_live_caller_4', 'tool-value-5']) assert.ok(!text.includes(value), `${value} written to dump.json`);
  const app = dump.apps[0];
  assert.equal(app.record.options.env.GREETING, 'hello');
  assert.equal(app.record.env.PATH, process.env.PATH);
  assert.equal(app.record.env.LANG, 'C.UTF-8');
  assert.deepEqual(Object.keys(app.record.env).filter((k) => !/^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|NODE_ENV|NODE_EXTRA_CA_CERTS|LC_[A-Z]+|DROVER_LOG_[A-Z_]+)$/.test(k)), []);
  assert.deepEqual([...app.secrets.declared].sort(), ['BILLING_SK', 'DB_PASSWORD']);
  assert.ok(app.secrets.env.includes('API_TOKEN') && app.secrets.env.includes('STRIPE_SK'), 'secret names are kept, so resurrect can take them from its environment');
});

test('app log files are created 0600, or with --log-file-mode', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'private'], { env: { PORT: '0' } });
  await ok(home, ['start', APP, '--name', 'shared', '--log-file-mode', '640'], { env: { PORT: '0' } });
  await get(await portOf(home, 'private'), '/err?tag=x');
  const logs = path.join(home, 'logs');
  const modeOf = (f) => statSync(path.join(logs, f)).mode & 0o777;
  await waitFor(() => readdirSync(logs).includes('private-error.log') && readdirSync(logs).includes('shared-out.log'), { message: 'the log files' });
  for (const f of ['private-out.log', 'private-error.log']) assert.equal(modeOf(f).toString(8), '600', f);
  assert.equal(modeOf('shared-out.log').toString(8), '640');
});
