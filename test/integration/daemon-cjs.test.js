// The daemon runs from its CommonJS build on Node 20 (issue 17: a daemon
// loaded by require() holds no ES module records or loader state; paired,
// 2 apps × 2 workers, its USS 7.9 → 7.0 MB, docs/daemon.md): the CLI starts
// dist/cjs/daemon/main.js when `npm run build` made it, its module graph
// loads by require() from dist/cjs, and no package loads at an idle start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, cli, daemonPid, makeHome, ok, waitFor } from '../helpers/daemon.js';
import { fixture } from '../helpers/paths.js';

const DAEMON_CJS = path.join(ROOT, 'dist/cjs/daemon/main.js');

test('npm run build makes the CommonJS daemon', () => {
  assert.ok(existsSync(DAEMON_CJS), `${DAEMON_CJS} is missing: run npm run build`);
});

// Node 20 only: on Node 24 the CommonJS daemon held more private memory than the ES module one (docs/daemon.md).
const expected = Number(process.versions.node.split('.')[0]) < 22 ? DAEMON_CJS : path.join(ROOT, 'dist/daemon/main.js');

test(`the CLI starts the daemon from ${path.relative(ROOT, expected)} on Node ${process.versions.node}, which answers`, async (t) => {
  const home = makeHome(t, 'drover-daemon-cjs-');
  await ok(home, ['ping']);
  const pid = daemonPid(home);
  assert.ok(pid, 'daemon.pid is written');
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.ok(argv.includes(expected), `the daemon runs ${expected}: ${argv.join(' ')}`);
  const list = await ok(home, ['list', '--json'], { json: true });
  assert.deepEqual(list, []);
});

test('an idle daemon loads its module graph by require(), from dist/cjs, and no package', async (t) => {
  const home = makeHome(t, 'drover-daemon-cjs-');
  // The fixture reports on SIGWINCH, which the daemon does not handle (daemon-process.ts).
  const daemon = spawn(process.execPath, ['--require', fixture('master-required.cjs'), DAEMON_CJS], { env: { PATH: process.env.PATH, DROVER_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  daemon.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => daemon.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    await exited;
  });
  // Its pid file first: a ping with no daemon up would start one of its own.
  await waitFor(() => daemonPid(home) === daemon.pid, { timeoutMs: 20_000, message: 'the daemon writes its pid file' });
  await waitFor(async () => (await cli(home, ['ping'])).code === 0, { timeoutMs: 20_000, message: 'the daemon answers ping' });
  assert.equal(daemonPid(home), daemon.pid, 'the daemon that answered is the one started here');
  daemon.kill('SIGWINCH');
  const line = await waitFor(() => stderr.split('\n').find((l) => l.startsWith('{"required"')), { timeoutMs: 10_000, message: 'the fixture reports' });
  const required = JSON.parse(line).required.map((f) => path.relative(ROOT, f));
  assert.ok(required.includes('dist/cjs/daemon/daemon-process.js'), `the daemon's process module loaded by require (got ${required.length} files)`);
  assert.deepEqual(required.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/cjs/')), [], 'no module of the ESM build');
  assert.deepEqual(required.filter((f) => f.includes('node_modules')), [], 'no package at an idle start');
  daemon.kill('SIGTERM');
  assert.equal((await exited).code, 0, stderr);
});
