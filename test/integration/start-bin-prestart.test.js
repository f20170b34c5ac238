// The `drover` bin (dist/cli/bin.cjs) boots a start's app master before the ES
// module CLI loads (cli/prestart-spawn.ts, issue 17). Bad input through it
// gives the same message and exit status as `node dist/cli/main.js`, and a
// start refused after the master was booted leaves no process behind (the
// master reads end-of-file and exits; its pre-booted worker goes with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { APP, CLI, ROOT, describe, makeHome, ok, processesOf, waitFor } from '../helpers/daemon.js';
import { withTimeout } from '../helpers/wait.js';

const BIN = path.join(ROOT, 'dist/cli/bin.cjs');

function run(entry, home, args, env = {}) {
  const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env, DROVER_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return withTimeout(done, 30_000, `${path.basename(entry)} ${args.join(' ')}`).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

test('bad starts through the bin: the same message and exit status as main.js, and nothing left running', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'solo'], { env: { PORT: '0' } });
  const running = new Set(processesOf(home));
  const cases = [
    ['start', APP, '--name', 'solo'], // 82: exists
    ['start', 'no-such-app.js'], // 66
    ['start', APP, '-i', 'abc'], // 65, after the bin booted a master
    ['start', APP, '--name', 'bad name'], // 65
    ['start', APP, '--bogus'], // 64
    ['start', APP, '--name', 'cronned', '--cron-restart', 'not a cron'], // 65, from the master
  ];
  for (const args of cases) {
    const viaBin = await run(BIN, home, args, { PORT: '0' });
    if (args.includes('cronned')) await ok(home, ['delete', 'cronned']);
    const viaMain = await run(CLI, home, args, { PORT: '0' });
    if (args.includes('cronned')) await ok(home, ['delete', 'cronned']);
    assert.notEqual(viaBin.code, 0, `${args.join(' ')} succeeded`);
    assert.equal(viaBin.code, viaMain.code, `${args.join(' ')}: exit status`);
    assert.equal(viaBin.stderr, viaMain.stderr, `${args.join(' ')}: message`);
  }
  // Masters booted for refused starts read end-of-file and exit, their pre-booted workers with them.
  await waitFor(() => processesOf(home).every((pid) => running.has(pid)), { message: 'the processes of refused starts to end' });
  assert.equal((await describe(home, 'solo')).status, 'online');
});

test('a good start through the bin: the master it booted serves the app', async (t) => {
  const home = makeHome(t);
  await ok(home, ['start', APP, '--name', 'first'], { env: { PORT: '0' } });
  const r = await run(BIN, home, ['start', APP, '--name', 'second', '-i', '2'], { PORT: '0' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /second: 2 workers ready in \d+ ms/);
  const d = await describe(home, 'second');
  assert.equal(d.status, 'online');
  assert.equal(d.workers.length, 2);
});
